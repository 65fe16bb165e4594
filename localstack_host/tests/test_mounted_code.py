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
