"""The dashboard: a thin main window holding one widget per tab, each of which asks the data
worker for what it shows and paints the answers (the layout of Vorta's ``views/``).

- ``window``: :class:`DashboardWindow`, the tabs, the File menu, the status bar, when to refresh
- ``overview_tab``: the engine's banner, the site feed, the cycle's progress, cards and chart
- ``notifications_tab``: the notification drawer, grouped by day, filtered, a page at a time
- ``library_tab``: the add box, the tracked series, the selected series and the relink dialog
- ``logs_tab``: the scrape log, the failing series and the application log
- ``common``: the tab base class, the shared cover store and table helpers
"""

from bato_desktop.ui.dashboard.common import PERIODS, Covers, DashboardTab
from bato_desktop.ui.dashboard.library_tab import LibraryTab
from bato_desktop.ui.dashboard.logs_tab import LogsTab
from bato_desktop.ui.dashboard.notifications_tab import (
    NOTIFICATION_PAGE,
    NOTIFICATION_TYPES,
    NotificationsTab,
)
from bato_desktop.ui.dashboard.overview_tab import Card, OverviewTab
from bato_desktop.ui.dashboard.window import REFRESH_COALESCE_MS, DashboardWindow

__all__ = [
    "NOTIFICATION_PAGE",
    "NOTIFICATION_TYPES",
    "PERIODS",
    "REFRESH_COALESCE_MS",
    "Card",
    "Covers",
    "DashboardTab",
    "DashboardWindow",
    "LibraryTab",
    "LogsTab",
    "NotificationsTab",
    "OverviewTab",
]
