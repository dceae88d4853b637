"""confluent-kafka's (librdkafka's) AdminClient against the gateway (run with /usr/bin/python3,
which sees Debian's python3-confluent-kafka): validate-only and real creation, partitions, configs
of the topic and the broker, and deletion. Prints one JSON line of what it saw."""
import json
import sys

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient, ConfigResource, NewPartitions, NewTopic

bootstrap, name = sys.argv[1], sys.argv[2]
admin = AdminClient({"bootstrap.servers": bootstrap})
out = {}


def wait(futures):
    return {k: f.result(timeout=20) for k, f in futures.items()}


def error_name(futures):
    try:
        wait(futures)
        return None
    except KafkaException as e:
        return e.args[0].name()


topic = NewTopic(name, num_partitions=2, replication_factor=3, config={"retention.ms": "90000"})
wait(admin.create_topics([topic], validate_only=True))
out["after_validate"] = name in admin.list_topics(timeout=10).topics
wait(admin.create_topics([topic]))
out["exists_error"] = error_name(admin.create_topics([topic]))
out["bad_config_error"] = error_name(
    admin.create_topics([NewTopic(name + "-bad", 1, 1, config={"no.such.config": "1"})])
)
out["partitions"] = len(admin.list_topics(name, timeout=10).topics[name].partitions)
wait(admin.create_partitions([NewPartitions(name, 4)]))
out["partitions_after"] = len(admin.list_topics(name, timeout=10).topics[name].partitions)

wait(admin.alter_configs([ConfigResource("topic", name, set_config={"retention.bytes": "123456"})]))
[configs] = wait(admin.describe_configs([ConfigResource("topic", name)])).values()
out["configs"] = {k: [v.value, v.is_default] for k, v in configs.items()}
[broker] = wait(admin.describe_configs([ConfigResource("broker", "0")])).values()
out["broker"] = {k: v.value for k, v in broker.items()}

wait(admin.delete_topics([name]))
print(json.dumps(out))
