"""Device physics (NeuroSim-family curves, variation, faults, reads) and the analog array.

Never imports the training engine: the engine talks to `AnalogStore` through the duck-typed
weight-store interface.
"""

from cimbench.device.array import AnalogStore
from cimbench.device.physics import adc_quantize, nl_to_a
from cimbench.device.preset import (DevicePreset, list_presets, load_preset, preset_from_dict,
                                    presets_dir)

__all__ = ["AnalogStore", "DevicePreset", "adc_quantize", "list_presets", "load_preset",
           "nl_to_a", "preset_from_dict", "presets_dir"]
