"""Credentials, storage configurations, networks and customer-managed keys through the SDK."""

import pytest
from databricks.sdk.errors import InvalidParameterValue, InvalidState, NotFound, ResourceDoesNotExist
from databricks.sdk.service import provisioning

from conftest import make_key, make_workspace


def test_credentials_round_trip(acct, backend):
    role = "arn:aws:iam::123456789012:role/cross-account"
    c = acct.credentials.create(
        credentials_name="creds",
        aws_credentials=provisioning.CreateCredentialAwsCredentials(
            sts_role=provisioning.CreateCredentialStsRole(role_arn=role)),
    )
    assert c.aws_credentials.sts_role.role_arn == role
    assert c.account_id == backend.account_id
    assert acct.credentials.get(c.credentials_id).credentials_name == "creds"
    assert c.credentials_id in [x.credentials_id for x in acct.credentials.list()]
    acct.credentials.delete(c.credentials_id)
    with pytest.raises(NotFound):
        acct.credentials.get(c.credentials_id)


def test_credentials_refuse_bad_role_arns(acct):
    for bad in ["arn:aws:iam::123:role/x", "arn:aws:s3:::bucket", "role"]:
        with pytest.raises(InvalidParameterValue):
            acct.credentials.create(
                credentials_name="bad",
                aws_credentials=provisioning.CreateCredentialAwsCredentials(
                    sts_role=provisioning.CreateCredentialStsRole(role_arn=bad)),
            )


def test_storage_configuration_round_trip_and_validation(acct):
    s = acct.storage.create(storage_configuration_name="root",
                            root_bucket_info=provisioning.RootBucketInfo(bucket_name="my-root-bucket"))
    assert acct.storage.get(s.storage_configuration_id).root_bucket_info.bucket_name == "my-root-bucket"
    with pytest.raises(InvalidParameterValue):
        acct.storage.create(storage_configuration_name="bad",
                            root_bucket_info=provisioning.RootBucketInfo(bucket_name="Bad_Bucket"))
    acct.storage.delete(s.storage_configuration_id)
    with pytest.raises(ResourceDoesNotExist):
        acct.storage.get(s.storage_configuration_id)


def test_network_customer_managed_vpc(acct):
    n = acct.networks.create(network_name="vpc", vpc_id="vpc-0123456789abcdef0",
                             subnet_ids=["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"],
                             security_group_ids=["sg-0123456789abcdef0"])
    got = acct.networks.get(n.network_id)
    assert got.vpc_id == "vpc-0123456789abcdef0" and len(got.subnet_ids) == 2
    assert got.vpc_status.value == "UNATTACHED"
    ws = make_workspace(acct, network_id=n.network_id)
    assert acct.networks.get(n.network_id).vpc_status.value == "VALID"
    with pytest.raises(InvalidParameterValue):
        make_workspace(acct, network_id=n.network_id)
    with pytest.raises(InvalidState):
        acct.networks.delete(n.network_id)
    acct.workspaces.delete(ws.workspace_id)
    acct.networks.delete(n.network_id)
    for bad in [dict(vpc_id="vpc-1", subnet_ids=["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"],
                     security_group_ids=["sg-0123456789abcdef0"]),
                dict(vpc_id="vpc-0123456789abcdef0", subnet_ids=["subnet-0123456789abcdef0"],
                     security_group_ids=["sg-0123456789abcdef0"])]:
        with pytest.raises(InvalidParameterValue):
            acct.networks.create(network_name="bad", **bad)


def test_customer_managed_keys(acct):
    k = make_key(acct, region="us-west-2", use_cases=("MANAGED_SERVICES", "STORAGE"))
    assert k.aws_key_info.key_region == "us-west-2"
    assert {u.value for u in k.use_cases} == {"MANAGED_SERVICES", "STORAGE"}
    assert acct.encryption_keys.get(k.customer_managed_key_id).aws_key_info.key_arn == k.aws_key_info.key_arn
    assert k.customer_managed_key_id in [x.customer_managed_key_id for x in acct.encryption_keys.list()]
    for bad in ["arn:aws:kms:us-west-2:1234:key/x", "arn:aws:kms:nowhere:123456789012:key/x",
                "arn:aws:iam::123456789012:role/x", "not-an-arn"]:
        with pytest.raises(InvalidParameterValue):
            make_key(acct, arn=bad)
    with pytest.raises(InvalidParameterValue):
        acct.encryption_keys.create(
            aws_key_info=provisioning.CreateAwsKeyInfo(key_arn=k.aws_key_info.key_arn, key_region="us-east-1"),
            use_cases=[provisioning.KeyUseCase.STORAGE])
    acct.encryption_keys.delete(k.customer_managed_key_id)
    with pytest.raises(NotFound):
        acct.encryption_keys.get(k.customer_managed_key_id)
