<#
.SYNOPSIS
    The main job, end to end against the local endpoint: a Llama-shaped model folder is checked, copied to S3,
    imported, waited for, asked the field report's 1-shot JCommonsenseQA question with a streamed answer, and scored
    on a small JCommonsenseQA-shaped set beside a stand-in Bedrock model, with the comparison and an HTML report. A
    tiny transformers-written Llama is also imported and generates on its own weights, with its tokens/s.
#>
param(
    [Parameter(Mandatory)] [string] $ModulePath
)

$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
if ($PSStyle) { $PSStyle.OutputRendering = 'PlainText' }
Import-Module $ModulePath -Force

function Write-Step([string] $Text) { Write-Host "`n== $Text" }

$samples = Join-Path $PSScriptRoot '../samples/jcommonsenseqa-mini.jsonl'
$items = @(Get-Content $samples -Encoding utf8 | ConvertFrom-Json)

# The sample is not a real language model: the endpoint answers from answer books. These plant what each model
# "knows" about the 20 sample questions: -Pick gets an item's index and says right, wrong or unsure.
function New-AnswerBook([scriptblock] $Pick) {
    $book = @{}
    for ($i = 0; $i -lt $items.Count; $i++) {
        $item = $items[$i]
        $book[$item.question] = switch (& $Pick $i) {
            'right' { ' <answer>' + $item."choice$($item.label)" + '</answer>' }
            'wrong' { ' <answer>' + $item."choice$(($item.label + 2) % 5)" + '</answer>' }
            default { ' わかりません。' }
        }
    }
    $book
}

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
    $youkoBook = New-AnswerBook { param($i) if ($i -in 3, 11, 17) { 'wrong' } elseif ($i -eq 8) { 'unsure' } else { 'right' } }
    $youkoBook['金管楽器'] = ' <answer>トランペット</answer>' + "`n`n質問: 次のうち、木管楽器であるのはどれ？"
    New-BedrockSampleModel -Path $repo -ShardCount 2 -Response $youkoBook | Out-Null
    Get-ChildItem $repo | Format-Table Name, Length -AutoSize | Out-Host

    Write-Step "Test-BedrockModelSource -HuggingFaceModel demo/youko-sample (headers only, nothing downloaded)"
    Test-BedrockModelSource -HuggingFaceModel demo/youko-sample -HuggingFaceEndpoint $endpoint.EndpointUrl |
        Format-List Passed, Architecture, ModelType, ParameterCount, Dtype, TotalBytes, ChatTemplate | Out-Host

    Write-Step 'Copy-BedrockModelSource -HuggingFaceModel (Hub -> S3, no local disk) | Start-BedrockModelImport | Wait-BedrockImportJob'
    # A Hub copy takes only what an import needs; the sample's answer book (responses.jsonl) is asked for by name.
    $model = Copy-BedrockModelSource -HuggingFaceModel demo/youko-sample -HuggingFaceEndpoint $endpoint.EndpointUrl `
            -Destination 's3://demo-models/youko/' -CreateBucket -Include responses.jsonl |
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

    Write-Step 'A real generation: a tiny Llama written by transformers, imported, run on its own weights and tokenizer by the endpoint'
    # Its weights are transformers' random initialisation, so the words are noise; the tokens are the model's own. Its
    # first request meets Bedrock's cold start for real (ModelNotReadyException while the weights load).
    $tiny = Join-Path $PSScriptRoot '../tests/BedrockImport.Inference.Tests/Fixtures/llama'
    $generation = Copy-BedrockModelSource -Path $tiny -Destination 's3://demo-models/tiny-llama/' |
        Start-BedrockModelImport -ModelName tiny-llama -RoleArn 'arn:aws:iam::123456789012:role/BedrockImportDemo' |
        Wait-BedrockImportJob |
        Invoke-ImportedModel -Prompt 'The capital of Japan is' -MaxTokens 24 -Temperature 0
    $generation | Format-List Completion, StopReason, InputTokens, OutputTokens, LatencyMs | Out-Host
    $report = (Invoke-RestMethod "$($endpoint.EndpointUrl)/_admin/models").models | Where-Object modelName -eq 'tiny-llama'
    Write-Host ("Engine: {0} ({1}); prefill {2} tokens in {3:0.0} ms, decode {4:0.0} tokens/s" -f $report.engine, $report.reason,
        $report.lastGeneration.promptTokens, $report.lastGeneration.prefillMs, $report.lastGeneration.decodeTokensPerSecond)

    Write-Step 'Invoke-ImportedModelEvaluation youko, Claude 3 Sonnet (stand-in) on 20 JCommonsenseQA-shaped items, 1-shot, side by side'
    $claude = 'anthropic.claude-3-sonnet-20240229-v1:0'
    $claudeBook = Join-Path $endpoint.DataPath "foundation-models/$($claude.Replace(':', '_'))/responses.jsonl"
    New-Item -ItemType Directory -Force (Split-Path $claudeBook) | Out-Null
    $book = New-AnswerBook { param($i) if ($i -in 5, 13) { 'wrong' } else { 'right' } }
    $book.Keys | ForEach-Object { @{ contains = $_; response = $book[$_] } | ConvertTo-Json -Compress } | Set-Content $claudeBook -Encoding utf8
    $report = Join-Path $work 'evaluation.html'
    $evaluation = Invoke-ImportedModelEvaluation youko, $claude -Path $samples -ThrottleLimit 8 `
        -ResultPath (Join-Path $work 'evaluation.jsonl') -ReportPath $report
    $evaluation | Where-Object { $_.PSObject.TypeNames[0] -like '*ModelSummary' } | Format-Table | Out-Host
    $evaluation | Where-Object { $_.PSObject.TypeNames[0] -like '*ModelComparison' } | Format-Table | Out-Host
    $comparison = $evaluation | Where-Object { $_.PSObject.TypeNames[0] -like '*ModelComparison' }
    Write-Host ("{0} - {1}: {2:+0.0%;-0.0%} accuracy, exact McNemar p = {3:0.###} on {4} paired items ({5}) " -f
        $comparison.ModelA, $comparison.ModelB, $comparison.AccuracyDifference, $comparison.McNemarP, $comparison.PairedItems,
        $(if ($comparison.McNemarP -lt 0.05) { 'a real difference' } else { 'not distinguishable from noise on this few items' }))
    $keep = Join-Path ([IO.Path]::GetTempPath()) 'bedrockimport-demo-evaluation.html'
    if (Test-Path $report) { Copy-Item $report $keep -Force; Write-Host "Report: $keep" }
}
finally {
    Stop-BedrockLocalEndpoint
    Remove-Item $work -Recurse -Force -ErrorAction SilentlyContinue
}
Write-Host 'Demo finished.'
