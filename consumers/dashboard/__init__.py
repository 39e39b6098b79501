"""The dashboard: twenty widgets from the aggregates, as a local web page and as CloudWatch custom widgets.

`DashboardServer` / `serve_dashboard` serve the local page (`ccstream dashboard`, `ccstream up`);
`lambda_handler.handler` renders one widget for CloudWatch; `widgets.catalogue.WIDGETS` lists the widgets;
budgets and their alerts live in `config`, `budgets` and `alerts`.
"""

from consumers.dashboard.server import DashboardServer, serve_dashboard

__all__ = ["DashboardServer", "serve_dashboard"]
