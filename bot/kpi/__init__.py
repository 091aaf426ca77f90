"""KPI digest: service and governance figures over a window, charts, a weekly Slack digest and an HTML report.

``metrics.compute`` reads the store with set-based SQL (SQLite and PostgreSQL), ``charts.render_charts``
draws PNGs with matplotlib, ``digest`` posts the weekly governance digest, ``html`` writes the page.
"""
