"""Event-time windows: tumbling definitions, the per-shard watermark, the lateness policy and screening."""

from consumers.windows.definitions import WINDOW_SIZES, WindowSize, window_size
from consumers.windows.lateness import screen
from consumers.windows.watermark import Lateness, Watermark

__all__ = ["WINDOW_SIZES", "Lateness", "Watermark", "WindowSize", "screen", "window_size"]
