"""Notify's adapters: HTTP, Kafka, SQL, channels, PDF, encryption, directory files."""
