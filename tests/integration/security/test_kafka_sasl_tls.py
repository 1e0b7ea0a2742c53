"""The services' Kafka settings for production (SCRAM-SHA-512 over TLS, ACLs per service, as the
Kubernetes overlays declare them) against a real broker that demands them.

The test starts a private single-node KRaft broker with a SASL_SSL listener only: a certificate
authority and a broker certificate made with openssl, SCRAM users written when the storage is
formatted, the standard authorizer with ACLs set by Kafka's own AclCommand. The clients are the
project's: `KafkaPublisher` and consumers built with `connection_options`.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytest_asyncio
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError
from dunghan_common.kafka import KafkaPublisher, OutgoingRecord
from dunghan_common.kafka.security import connection_options
from dunghan_common.settings import KafkaSettings

from tests.e2e.system import ROOT, free_port

pytestmark = pytest.mark.asyncio(loop_scope="session")
LIBS = ROOT / ".stack/kafka/libs"
PASSWORDS = {"admin": "admin-secret", "dunghan-ingest": "ingest-secret", "dunghan-sla": "sla-s"}
EVENTS, CONTACTS = "dossier-events", "dossier-contacts"


@dataclass
class SecureBroker:
    """A private broker on one SASL_SSL listener; its CA, and how to reach it as a user."""

    port: int
    ca: Path
    directory: Path

    def settings(self, user: str, password: str | None = None) -> KafkaSettings:
        """The settings a service would get in production, pointed at this broker."""
        return KafkaSettings(
            bootstrap_servers=f"127.0.0.1:{self.port}",
            security_protocol="SASL_SSL",
            sasl_mechanism="SCRAM-SHA-512",
            sasl_username=user,
            sasl_password=password or PASSWORDS[user],
            ssl_cafile=self.ca,
        )


def run(*args: str | Path, cwd: Path | None = None) -> str:
    """Run a command; its output, or a failure with its error output."""
    done = subprocess.run(
        [str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, f"{args[0]}: {done.stderr[-2000:]}"
    return done.stdout


def certificates(directory: Path) -> tuple[Path, Path]:
    """A CA, and the broker's key and certificate chain in one PEM file (Kafka's PEM keystore)."""
    ssl = "openssl"
    run(ssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
        "/CN=dunghan-test-ca", "-keyout", "ca.key", "-out", "ca.pem", cwd=directory)  # fmt: skip
    run(ssl, "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1",
        "-keyout", "broker.key", "-out", "broker.csr", cwd=directory)  # fmt: skip
    (directory / "san.ext").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    run(ssl, "x509", "-req", "-in", "broker.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
        "-CAcreateserial", "-days", "2", "-extfile", "san.ext", "-out", "broker.pem",
        cwd=directory)  # fmt: skip
    run(ssl, "pkcs8", "-topk8", "-nocrypt", "-in", "broker.key", "-out", "broker.pk8",
        cwd=directory)  # fmt: skip
    keystore = directory / "keystore.pem"
    keystore.write_text(
        (directory / "broker.pk8").read_text()
        + (directory / "broker.pem").read_text()
        + (directory / "ca.pem").read_text()
    )
    return directory / "ca.pem", keystore


def java(*args: str | Path) -> list[str]:
    """A command line running one of Kafka's classes from the installed jars."""
    return ["java", "-Xmx256m", "-cp", f"{LIBS}/*", *(str(a) for a in args)]


def admin_config(directory: Path, ca: Path, port: int) -> Path:
    """The client properties of the broker's super user (for Kafka's command-line tools)."""
    path = directory / "admin.properties"
    path.write_text(
        "security.protocol=SASL_SSL\n"
        "sasl.mechanism=SCRAM-SHA-512\n"
        "sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required "
        f'username="admin" password="{PASSWORDS["admin"]}";\n'
        "ssl.truststore.type=PEM\n"
        f"ssl.truststore.location={ca}\n"
    )
    return path


def server_properties(directory: Path, keystore: Path, port: int, controller: int) -> Path:
    """A KRaft node whose only client listener is SASL_SSL, with the standard authorizer."""
    path = directory / "server.properties"
    login = "org.apache.kafka.common.security.scram.ScramLoginModule required"
    jaas = f'{login} username="admin" password="{PASSWORDS["admin"]}";'
    path.write_text(
        f"""process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:{controller}
listeners=SASL_SSL://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller}
advertised.listeners=SASL_SSL://127.0.0.1:{port}
controller.listener.names=CONTROLLER
inter.broker.listener.name=SASL_SSL
listener.security.protocol.map=SASL_SSL:SASL_SSL,CONTROLLER:PLAINTEXT
sasl.enabled.mechanisms=SCRAM-SHA-512
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config={jaas}
ssl.keystore.type=PEM
ssl.keystore.location={keystore}
ssl.truststore.type=PEM
ssl.truststore.location={keystore.parent / "ca.pem"}
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
super.users=User:admin;User:ANONYMOUS
allow.everyone.if.no.acl.found=false
log.dirs={directory / "data"}
num.partitions=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
"""
    )
    return path


@pytest.fixture(scope="module")
def secure_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecureBroker]:
    """The private broker, formatted with the SCRAM users, serving until the module ends."""
    if shutil.which("openssl") is None or not LIBS.is_dir():
        pytest.fail("openssl and the Kafka jars (make up) are needed")
    directory = tmp_path_factory.mktemp("kafka-sasl")
    ca, keystore = certificates(directory)
    port, controller = free_port(), free_port()
    properties = server_properties(directory, keystore, port, controller)
    users = [f"SCRAM-SHA-512=[name={u},password={p}]" for u, p in PASSWORDS.items()]
    cluster = run(*java("kafka.tools.StorageTool", "random-uuid")).strip()
    scram = [arg for user in users for arg in ("--add-scram", user)]
    run(*java("kafka.tools.StorageTool", "format", "-t", cluster, "-c", properties, *scram))
    log = (directory / "broker.log").open("w")
    broker = subprocess.Popen(
        java(
            "-Dlog4j.configuration=file:" + str(ROOT / "deploy/local/kafka/log4j.properties"),
            f"-Dkafka.logs.dir={directory}",
            "kafka.Kafka",
            properties,
        ),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        _wait_serving(directory, ca, port, broker)
        yield SecureBroker(port, ca, directory)
    finally:
        os.killpg(broker.pid, signal.SIGKILL)
        broker.wait(30)
        log.close()


def _wait_serving(directory: Path, ca: Path, port: int, broker: subprocess.Popen[bytes]) -> None:
    config = admin_config(directory, ca, port)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert broker.poll() is None, (directory / "server.log").read_text()[-3000:]
        try:
            done = subprocess.run(
                java(
                    "org.apache.kafka.tools.ClusterTool",
                    "cluster-id",
                    "--bootstrap-server",
                    f"127.0.0.1:{port}",
                    "--config",
                    config,
                ),
                capture_output=True,
                timeout=20,
                check=False,
            )
        except subprocess.TimeoutExpired:
            continue
        if done.returncode == 0:
            return
        time.sleep(1)
    pytest.fail("the SASL_SSL broker did not serve within 90 s")


def acl(broker: SecureBroker, *args: str) -> None:
    """Add ACLs with Kafka's own command, as the broker's super user."""
    config = admin_config(broker.directory, broker.ca, broker.port)
    run(*java("kafka.admin.AclCommand", "--bootstrap-server", f"127.0.0.1:{broker.port}",
              "--command-config", config, "--add", *args))  # fmt: skip


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def topics(secure_broker: SecureBroker) -> AsyncIterator[SecureBroker]:
    """The two topics and the ACLs of the overlays: ingest writes both, sla reads events only."""
    options = connection_options(secure_broker.settings("admin"))
    admin = AIOKafkaAdminClient(bootstrap_servers=f"127.0.0.1:{secure_broker.port}", **options)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(EVENTS, 1, 1), NewTopic(CONTACTS, 1, 1)])
    finally:
        await admin.close()
    ingest, sla = "User:dunghan-ingest", "User:dunghan-sla"
    for topic in (EVENTS, CONTACTS):
        await asyncio.to_thread(
            acl, secure_broker, "--allow-principal", ingest, "--operation", "Write",
            "--operation", "Describe", "--topic", topic,
        )  # fmt: skip
    await asyncio.to_thread(
        acl, secure_broker, "--allow-principal", ingest, "--operation", "IdempotentWrite",
        "--cluster",
    )  # fmt: skip
    await asyncio.to_thread(
        acl, secure_broker, "--allow-principal", sla, "--operation", "Read", "--operation",
        "Describe", "--topic", EVENTS, "--group", "sla-projector",
    )  # fmt: skip
    yield secure_broker


def consumer(broker: SecureBroker, user: str, topic: str) -> AIOKafkaConsumer:
    """A consumer of ``topic`` as ``user``, built the way the services build theirs."""
    settings = broker.settings(user)
    return AIOKafkaConsumer(
        topic,
        bootstrap_servers=settings.bootstrap_servers,
        group_id="sla-projector",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        isolation_level="read_committed",
        **connection_options(settings),
    )


async def read_once(reader: AIOKafkaConsumer) -> None:
    """Start a consumer and fetch once."""
    await reader.start()
    try:
        await reader.getmany(timeout_ms=10_000)
    finally:
        await reader.stop()


async def start_and_stop(publisher: KafkaPublisher) -> None:
    """Connect a publisher (its producer bootstraps), then close it."""
    await publisher.start()
    await publisher.stop()


async def test_a_service_publishes_and_reads_over_scram_and_tls_within_its_acls(
    topics: SecureBroker,
) -> None:
    publisher = KafkaPublisher(topics.settings("dunghan-ingest"))
    await publisher.start()
    try:
        await publisher.publish(
            [
                OutgoingRecord(EVENTS, b'{"event": 1}', key=b"000.00.12.H50-1"),
                OutgoingRecord(CONTACTS, b'{"contact": 1}', key=b"000.00.12.H50-1"),
            ]
        )
    finally:
        await publisher.stop()

    reader = consumer(topics, "dunghan-sla", EVENTS)
    await reader.start()
    try:
        batch = await reader.getmany(timeout_ms=10_000)
        values = [r.value for records in batch.values() for r in records]
        assert values == [b'{"event": 1}']
    finally:
        await reader.stop()


async def test_a_service_without_an_acl_on_the_contacts_topic_cannot_read_it(
    topics: SecureBroker,
) -> None:
    with pytest.raises(KafkaError, match=r"[Aa]uthoriz"):
        await read_once(consumer(topics, "dunghan-sla", CONTACTS))


async def test_a_wrong_password_is_refused(topics: SecureBroker) -> None:
    """The same user connects with its password, and is refused by the broker without it."""
    await start_and_stop(KafkaPublisher(topics.settings("dunghan-ingest")))
    publisher = KafkaPublisher(topics.settings("dunghan-ingest", password="not-the-password"))
    with pytest.raises(KafkaError):
        await start_and_stop(publisher)
    log = (topics.directory / "server.log").read_text()
    assert "invalid credentials with SASL mechanism SCRAM-SHA-512" in log
