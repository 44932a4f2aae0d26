"""HTML pages of the accelerators area: overview, GPU and NPU lists and details.

Thin views: parameters are validated with the API's parsers (a bad value is
shown on the page, never a 500), clusters come from the caller's scope, and
every figure comes from :mod:`accelerators.services` (the same services, so
the same numbers, as ``/api/v1/accelerators``). Charts are drawn in the
browser from the timeseries API (``static/js/accelerators-device.js``).
"""

from __future__ import annotations

from accelerators.views.devices import gpu_detail, npu_detail
from accelerators.views.lists import gpu_list, npu_list
from accelerators.views.overview import overview

__all__ = ["gpu_detail", "gpu_list", "npu_detail", "npu_list", "overview"]
