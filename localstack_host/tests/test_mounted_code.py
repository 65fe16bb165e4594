"""The built template rewritten so that LocalStack runs each function's built folder in place."""

from __future__ import annotations

from localstack_host.mounted_code import mounted

BUILT = """\
Globals:
  Function:
    CodeUri: functions/
Resources:
  ApiFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: ApiFunction
      Handler: pkg.api.handler
  Other:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: s3://bucket/key.zip
"""


def test_only_codeuris_naming_a_built_folder_are_mounted_by_absolute_path(tmp_path):
    (tmp_path / "ApiFunction").mkdir()

    text, count = mounted(BUILT, tmp_path)

    assert count == 1
    assert f"      CodeUri: {{Bucket: hot-reload, Key: '{tmp_path / 'ApiFunction'}'}}\n" in text
    assert "    CodeUri: functions/\n" in text and "      CodeUri: s3://bucket/key.zip\n" in text  # untouched
    assert text.replace(f"{{Bucket: hot-reload, Key: '{tmp_path / 'ApiFunction'}'}}", "ApiFunction") == BUILT


SOURCE = """\
Globals:
  Function:
    CodeUri: functions/
Resources:
  Machine:
    Type: AWS::Serverless::StateMachine
    Properties:
      DefinitionUri: orchestration/machine.json
  Other:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: s3://bucket/key.zip
"""


def test_with_a_package_every_codeuri_mounts_it_and_local_files_become_absolute(tmp_path):
    (tmp_path / "orchestration").mkdir()
    (tmp_path / "orchestration" / "machine.json").write_text("{}")
    package = tmp_path / "package"

    text, count = mounted(SOURCE, tmp_path, package)

    assert count == 2  # the Globals one and the S3 one: every function runs the one package
    assert text.count(f"CodeUri: {{Bucket: hot-reload, Key: '{package}'}}\n") == 2
    assert f"      DefinitionUri: '{tmp_path / 'orchestration' / 'machine.json'}'\n" in text
    assert "functions/" not in text and "s3://" not in text


def test_main_refuses_a_missing_package_and_writes_nothing(tmp_path):
    from localstack_host.mounted_code import main

    (tmp_path / "template.yaml").write_text(SOURCE)

    assert main([str(tmp_path / "template.yaml"), str(tmp_path / "out.yaml"), "--package", str(tmp_path / "no")]) == 1
    assert not (tmp_path / "out.yaml").exists()
