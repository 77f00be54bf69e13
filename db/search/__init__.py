"""Code search: schema and build, candidate retrieval, ranking, spelling, hits; SearchIndex is the entry."""

from db.search.build import build_search_index
from db.search.hits import SearchHit, SearchResults
from db.search.index import SearchIndex
from db.search.schema import INDEX_FORMAT

__all__ = ["INDEX_FORMAT", "SearchHit", "SearchIndex", "SearchResults", "build_search_index"]
