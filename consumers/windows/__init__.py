"""Event-time windows: tumbling definitions, the per-shard watermark and the lateness policy."""

from consumers.windows.definitions import WINDOW_SIZES, WindowSize, window_size
from consumers.windows.watermark import Lateness, Watermark

__all__ = ["WINDOW_SIZES", "Lateness", "Watermark", "WindowSize", "window_size"]
