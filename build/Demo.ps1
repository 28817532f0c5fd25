<#
.SYNOPSIS
    The main job, end to end against the local endpoint: a Llama-shaped model folder is checked, copied to S3,
    imported, waited for, and asked the field report's 1-shot JCommonsenseQA question with a streamed answer.
#>
param(
    [Parameter(Mandatory)] [string] $ModulePath
)

$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
if ($PSStyle) { $PSStyle.OutputRendering = 'PlainText' }
Import-Module $ModulePath -Force

function Write-Step([string] $Text) { Write-Host "`n== $Text" }

$work = Join-Path ([IO.Path]::GetTempPath()) ("bedrockimport-demo-" + [guid]::NewGuid().ToString('N').Substring(0, 8))
$question = @'
### 例 ###
質問: 電子機器で使用される最も主要な電子回路基板の事をなんと言う？
choice0: 掲示板
choice1: パソコン
choice2: マザーボード
choice3: ハードディスク
choice4: まな板
回答: <answer>マザーボード</answer>

質問: 次のうち、金管楽器であるのはどれ？
choice0: トランペット
choice1: ガラス
choice2: メビウス
choice3: メタル
choice4: 設計
回答:
'@

Write-Step 'Starting the local endpoint (offline S3 + Bedrock + Bedrock Runtime)'
$endpoint = Start-BedrockLocalEndpoint -DataPath (Join-Path $work 'endpoint') -UseAsDefault
Write-Host "Listening on $($endpoint.EndpointUrl), region $($endpoint.Region)"
try {
    Write-Step 'Publishing a small Llama-shaped model on the endpoint''s Hugging Face Hub mirror as demo/youko-sample'
    # The sample is not a real language model: the endpoint answers from its responses file, as documented.
    $repo = Join-Path $endpoint.DataPath 'hub/demo/youko-sample'
    New-BedrockSampleModel -Path $repo -ShardCount 2 `
        -Response @{ '金管楽器' = ' <answer>トランペット</answer>' + "`n`n質問: 次のうち、木管楽器であるのはどれ？" } | Out-Null
    Get-ChildItem $repo | Format-Table Name, Length -AutoSize | Out-Host

    Write-Step "Test-BedrockModelSource -HuggingFaceModel demo/youko-sample (headers only, nothing downloaded)"
    Test-BedrockModelSource -HuggingFaceModel demo/youko-sample -HuggingFaceEndpoint $endpoint.EndpointUrl |
        Format-List Passed, Architecture, ModelType, ParameterCount, Dtype, TotalBytes, ChatTemplate | Out-Host

    Write-Step 'Copy-BedrockModelSource -HuggingFaceModel (Hub -> S3, no local disk) | Start-BedrockModelImport | Wait-BedrockImportJob'
    $model = Copy-BedrockModelSource -HuggingFaceModel demo/youko-sample -HuggingFaceEndpoint $endpoint.EndpointUrl `
            -Destination 's3://demo-models/youko/' -CreateBucket |
        Tee-Object -Variable copy |
        Start-BedrockModelImport -ModelName youko -RoleArn 'arn:aws:iam::123456789012:role/BedrockImportDemo' |
        Tee-Object -Variable job |
        Wait-BedrockImportJob
    $copy | Format-List S3Uri, Files, Bytes, Skipped, Duration | Out-Host
    $job | Format-List JobName, Status, ImportedModelName, JobArn | Out-Host

    Write-Step 'Get-ImportedModel'
    Get-ImportedModel | Format-Table -AutoSize | Out-Host

    Write-Step 'Invoke-ImportedModel -StopSequence </answer> -Stream (the service ignores stop here, as in the field report; the module still stops)'
    $knobs = Invoke-RestMethod "$($endpoint.EndpointUrl)/_admin/knobs"
    $knobs.bedrock.ignoreStop = $true
    Invoke-RestMethod "$($endpoint.EndpointUrl)/_admin/knobs" -Method Put -Body ($knobs | ConvertTo-Json -Depth 10) -ContentType 'application/json' | Out-Null
    $answer = $model | Invoke-ImportedModel -Prompt $question -StopSequence '</answer>' -MaxTokens 64 -Stream
    Write-Host ''
    $answer | Format-List StopReason, InputTokens, OutputTokens, LatencyMs, FirstTokenMs, ModelArn | Out-Host
}
finally {
    Stop-BedrockLocalEndpoint
    Remove-Item $work -Recurse -Force -ErrorAction SilentlyContinue
}
Write-Host 'Demo finished.'
