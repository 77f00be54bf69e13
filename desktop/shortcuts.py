"""Every keyboard shortcut of the window, declared once (menus, the F1 sheet and tests read them here)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Shortcut:
    name: str
    keys: str
    text: str


SHORTCUTS: tuple[Shortcut, ...] = (
    Shortcut("focus_search", "Ctrl+L", "Go to the search bar"),
    Shortcut("date_of_service", "Alt+D", "Go to the date of service (type a date, Enter; Alt+Down opens a calendar)"),
    Shortcut("open_detail", "Return", "Open the selected code's detail (from the search bar)"),
    Shortcut("escape", "Esc", "Clear the search, or go back to the search bar"),
    Shortcut("copy_code", "Ctrl+C", "Copy the selected code"),
    Shortcut("copy_code_title", "Ctrl+Shift+C", "Copy the selected code and its title"),
    Shortcut("toggle_favorite", "Ctrl+D", "Pin or unpin the selected code as a favorite"),
    Shortcut("recent", "Ctrl+H", "Show recently viewed codes"),
    Shortcut("back", "Alt+Left", "Back to the previous code"),
    Shortcut("forward", "Alt+Right", "Forward"),
    Shortcut("filter_all", "Alt+0", "Search every code set"),
    Shortcut("filter_icd10cm", "Alt+1", "Search ICD-10-CM only"),
    Shortcut("filter_icd10pcs", "Alt+2", "Search ICD-10-PCS only"),
    Shortcut("filter_hcpcs", "Alt+3", "Search HCPCS Level II only"),
    Shortcut("filter_cpt", "Alt+4", "Search CPT only (your licensed file)"),
    Shortcut("billable_only", "Ctrl+B", "Billable codes only"),
    Shortcut("policy_state", "Alt+P", "Policies tab: choose the state whose Medicare policies are shown"),
    Shortcut("text_bigger", "Ctrl+=", "Larger text"),
    Shortcut("text_smaller", "Ctrl+-", "Smaller text"),
    Shortcut("shortcuts_help", "F1", "Show every shortcut"),
    Shortcut("claim_check", "Ctrl+K", "Claim check: paste a claim's codes, see every coding problem for the date"),
    Shortcut("import_files", "Ctrl+I", "Import official files… (CMS/CDC downloads, from a folder or USB stick)"),
    Shortcut("whats_new", "Ctrl+Shift+N", "What's new: the codes each release added, deleted or changed"),
    Shortcut("rebuild", "Ctrl+Shift+R", "Rebuild the code database and search index"),
    Shortcut("remove_cpt", "", "Remove CPT data (every imported CPT file, then rebuild)"),
    Shortcut("quit", "Ctrl+Q", "Quit"),
)
#: Ctrl+1 .. Ctrl+9 select the detail tabs in order.
TAB_KEYS = tuple(f"Ctrl+{number}" for number in range(1, 10))

BY_NAME = {shortcut.name: shortcut for shortcut in SHORTCUTS}
