"""The public names of the search package (db/search/), kept here so callers need not change."""

from db.search import INDEX_FORMAT, SearchHit, SearchIndex, SearchResults, build_search_index

__all__ = ["INDEX_FORMAT", "SearchHit", "SearchIndex", "SearchResults", "build_search_index"]
