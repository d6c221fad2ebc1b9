"""Training engine: network, learning rules, quantizers, weight stores and the training loop."""
