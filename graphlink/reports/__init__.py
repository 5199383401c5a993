"""Self-contained HTML reports for investigators and ban-wave reviewers.

``cluster`` draws one cluster (graph, evidence, timeline); ``banwave`` summarises
a wave; ``html`` holds the shared, pure page pieces (plotly.js inlined: no CDN).
"""

from graphlink.reports.banwave import build_banwave_report
from graphlink.reports.cluster import build_cluster_report

__all__ = ["build_banwave_report", "build_cluster_report"]
