import boto3
import pytest
from moto import mock_aws


@pytest.fixture
def aws(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        boto3.client("dynamodb").create_table(
            TableName="orders",
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        boto3.client("s3").create_bucket(Bucket="receipts")
        yield


def test_clients_are_made_in_init_and_reused(aws, handler_path, lifecycle):
    handler = lifecycle.load(handler_path)  # init: the clients are created here, once
    results = [lifecycle.invoke(handler.lambda_handler, {"order_id": f"o-{n}", "item": "book"}) for n in range(3)]
    assert {r["clients_created"] for r in results} == {2}
    assert [r["cold_start"] for r in lifecycle.invocations] == [True, False, False]
    assert "InitDuration" in lifecycle.invocations[0]
    items = boto3.client("dynamodb").scan(TableName="orders")["Items"]
    assert sorted(i["id"]["S"] for i in items) == ["o-0", "o-1", "o-2"]
    keys = [o["Key"] for o in boto3.client("s3").list_objects_v2(Bucket="receipts")["Contents"]]
    assert keys == ["receipts/o-0.json", "receipts/o-1.json", "receipts/o-2.json"]
