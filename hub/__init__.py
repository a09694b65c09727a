"""The outlet hub: the bridge between the outlet's browsers, its MQTT devices and HQ."""

__version__ = "0.1.0"
