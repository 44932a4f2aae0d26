"""Routes of budgets and alerts under /api/v1/."""

from __future__ import annotations

from django.urls import path

from monitoring.api import alerting as v

urlpatterns = [
    path("budgets", v.BudgetList.as_view(), name="api-budgets"),
    path("budgets/<int:pk>", v.BudgetDetail.as_view(), name="api-budget"),
    path("alerts", v.AlertList.as_view(), name="api-alerts"),
    path("alerts/rules", v.AlertRuleList.as_view(), name="api-alert-rules"),
    path("alerts/rules/<int:pk>", v.AlertRuleDetail.as_view(), name="api-alert-rule"),
    path("alerts/channels", v.ChannelList.as_view(), name="api-alert-channels"),
    path("alerts/channels/<int:pk>", v.ChannelDetail.as_view(), name="api-alert-channel"),
    path("alerts/<int:pk>", v.AlertDetail.as_view(), name="api-alert"),
    path("alerts/<int:pk>/acknowledge", v.AlertAcknowledge.as_view(), name="api-alert-acknowledge"),
    path("alerts/<int:pk>/silence", v.AlertSilence.as_view(), name="api-alert-silence"),
]
