"""The reference runs of ingest's goals: R1 and R3 (Kafka's own tools), R4 (bare aiokafka), R5."""

from __future__ import annotations

import asyncio
import logging
import re
import subprocess
import time
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.responses import Response

from ingest_parts.common import BOOTSTRAP, PY, ROOT, Record


def _kafka_tool(main_class: str, *args: str) -> str:
    """Run one of Kafka's own tools through ``deploy/local/stack.sh kafka-java``; its stdout."""
    cmd = [str(ROOT / "deploy/local/stack.sh"), "kafka-java", main_class, *args]
    return subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=600).stdout


def r1_producer_tool(topic: str, n: int, size: int) -> float:
    """Kafka's ProducerPerformance, acks=all, idempotent: records/s."""
    out = _kafka_tool(
        "org.apache.kafka.tools.ProducerPerformance",
        "--topic", topic, "--num-records", str(n), "--record-size", str(size), "--throughput", "-1",
        "--producer-props", f"bootstrap.servers={BOOTSTRAP}", "acks=all", "enable.idempotence=true",
    )  # fmt: skip
    found = re.findall(r"records sent, ([0-9.]+) records/sec", out)
    if not found:
        raise RuntimeError(f"ProducerPerformance printed no summary: {out[-500:]}")
    return float(found[-1])


def r3_end_to_end(topic: str, n: int, size: int) -> tuple[float, float]:
    """Kafka's EndToEndLatency (one record at a time, acks=all, 1-partition topic): p50, p99 ms."""
    out = _kafka_tool(
        "org.apache.kafka.tools.EndToEndLatency", BOOTSTRAP, topic, str(n), "all", str(size)
    )
    found = re.search(r"50th = ([0-9.]+), 99th = ([0-9.]+)", out)
    if found is None:
        raise RuntimeError(f"EndToEndLatency printed no percentiles: {out[-500:]}")
    return float(found[1]), float(found[2])


async def r4_aiokafka(topic: str, records: list[Record]) -> float:
    """A bare aiokafka loop over pre-serialised records, producer tuned like ingest's: records/s."""
    from aiokafka import AIOKafkaProducer
    from dunghan_common.settings import KafkaSettings

    s = KafkaSettings(bootstrap_servers=BOOTSTRAP)
    producer = AIOKafkaProducer(
        bootstrap_servers=BOOTSTRAP, acks="all", enable_idempotence=True, linger_ms=s.linger_ms,
        max_batch_size=s.max_batch_size, max_request_size=8 * 1_048_576,
    )  # fmt: skip
    await producer.start()
    try:
        began = time.perf_counter()
        for start in range(0, len(records), 1000):
            chunk = records[start : start + 1000]
            futures = [await producer.send(topic, v, key=k, headers=h) for k, v, h in chunk]
            await asyncio.gather(*futures)
        return len(records) / (time.perf_counter() - began)
    finally:
        await producer.stop()


def bare_app() -> FastAPI:
    """R5: parse the body as JSON, answer 202; nothing else."""
    app = FastAPI()

    @app.post("/v1/events")
    async def events(request: Request) -> Response:
        body = orjson.loads(await request.body())
        count = len(body) if isinstance(body, list) else 1
        return Response(orjson.dumps({"accepted": count, "duplicates": 0}), 202)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


def serve_bare(port: int, workers: int) -> None:
    """Serve the bare app exactly like ingest's ``api`` role: same socket sharing, same uvicorn."""
    import os

    from dunghan_common.runtime import main, run_until_signal
    from ingest.adapters.serving import LISTEN_FD, bind, inherited_socket, serve_socket

    sock = inherited_socket()
    children: list[subprocess.Popen[bytes]] = []
    if sock is None:
        sock, *theirs = bind("127.0.0.1", port, workers)
        command = [PY, str(ROOT / "bench/ingest_bench.py"), "--serve-bare", str(port), "1"]
        for their in theirs:
            env = {**os.environ, LISTEN_FD: str(their.fileno())}
            children.append(subprocess.Popen(command, env=env, pass_fds=[their.fileno()]))
            their.close()

    async def role() -> None:
        await run_until_signal(serve_socket(bare_app(), sock))

    # uvicorn logs the cancelled lifespan at shutdown with a traceback: noise in the bench output.
    logging.getLogger("uvicorn.error").setLevel(logging.CRITICAL)

    try:
        main({"serve": role}, ["serve"])
    finally:
        for child in children:
            child.terminate()
            child.wait(10)


def start_bare(port: int, workers: int) -> subprocess.Popen[Any]:
    """The bare app in its own process(es)."""
    script = str(ROOT / "bench/ingest_bench.py")
    return subprocess.Popen([PY, script, "--serve-bare", str(port), str(workers)])
