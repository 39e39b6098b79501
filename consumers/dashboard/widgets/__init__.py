"""The widget renderers, grouped by subject; `catalogue.WIDGETS` lists all twenty."""
