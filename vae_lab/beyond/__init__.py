"""Beyond the lecture: one module per idea, each importing only the core (``vae_lab``'s top-level modules).

- ``variants``: a conditional and a convolutional VAE (notebook 6).
- ``priors``: a VAE with an N(0, I), mixture-of-Gaussians or VampPrior prior (notebook 9).
- ``likelihood``: other decoders' losses (Bernoulli, optimal sigma) and importance-weighted bounds on log p(x).
- ``gradients``: the score function (REINFORCE) and the reparameterization trick, draw by draw (notebook 8).
"""
