"""kafka-python's KafkaAdminClient against the gateway (run with /usr/bin/python3, which sees
Debian's python3-kafka): creates a topic, fails to create it again, describes its configs and the
broker's, deletes it. Prints one JSON line of what it saw."""
import json
import sys

from kafka.admin import ConfigResource, ConfigResourceType, KafkaAdminClient, NewTopic
from kafka.errors import KafkaError

bootstrap, name = sys.argv[1], sys.argv[2]
admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="kpy-admin", request_timeout_ms=20000)
out = {}

admin.create_topics([NewTopic(name, 2, 3, topic_configs={"retention.ms": "90000"})])
out["created"] = True
try:
    admin.create_topics([NewTopic(name, 2, 1)])
    out["exists_error"] = None
except KafkaError as e:
    out["exists_error"] = type(e).__name__
out["listed_after_create"] = name in admin.list_topics()


def entries(response):
    (_err, _msg, _type, _name, configs) = response.resources[0]
    return {c[0]: c[1] for c in configs}


[topic] = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, name)])
out["configs"] = entries(topic)
[broker] = admin.describe_configs([ConfigResource(ConfigResourceType.BROKER, "0")])
out["broker"] = entries(broker)

admin.delete_topics([name])
out["listed_after_delete"] = name in admin.list_topics()
admin.close()
print(json.dumps(out))
