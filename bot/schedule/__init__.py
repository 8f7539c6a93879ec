"""The project schedule (`schedule-api.yaml`): its client, the pure reading of a
sheet's progress, the simulated schedule, and the wiring into a running bot."""
