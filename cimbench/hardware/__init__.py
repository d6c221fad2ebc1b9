"""Hardware estimation: technology presets, component models, per-rule schedules, estimator."""

from cimbench.hardware.config import (HardwareConfig, hardware_dir, list_hardware, load_hardware,
                                      presets_dir)
from cimbench.hardware.estimator import HardwareReport, estimate
from cimbench.hardware.expected import expected_trace

__all__ = ["HardwareConfig", "HardwareReport", "estimate", "expected_trace", "hardware_dir",
           "list_hardware", "load_hardware", "presets_dir"]
