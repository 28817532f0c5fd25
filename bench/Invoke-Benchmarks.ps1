<#
.SYNOPSIS
    Runs the BedrockImport benchmarks B1-B8 and the soak B10 against the local endpoint, with their peers from npm and NuGet in the same run,
    and writes bench/results/<yyyy-MM-dd>.md and .json.
.DESCRIPTION
    Every measurement runs in its own process (a fresh pwsh for the module, node for the AWS SDK for JavaScript v3, dotnet
    for AWSSDK.S3 TransferUtility), so CPU time and peak RSS belong to that client alone. The local endpoint is shared.
    Targets are goals to report against: a missed target does not fail the run. A case that cannot run yet (its cmdlet is
    not there) is reported as not yet measurable; a case that breaks is reported as failed and the script exits with 1
    after writing the results. See bench/README.md.
.EXAMPLE
    dotnet pwsh ./build.ps1 Bench
.EXAMPLE
    pwsh bench/Invoke-Benchmarks.ps1 -ModulePath out/BedrockImport/BedrockImport.psd1 -Case B1, B2
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)]
    [string] $ModulePath,

    # The issue's sizes (2000 prompts, 2 GiB upload, ...) instead of CI-friendly ones.
    [switch] $Full,

    [ValidateSet('B1', 'B2', 'B3', 'B4', 'B5', 'B6', 'B7', 'B8', 'B9', 'B10')]
    [string[]] $Case = @('B1', 'B2', 'B3', 'B4', 'B5', 'B6', 'B7', 'B8', 'B9', 'B10'),

    [string] $OutputDirectory = (Join-Path $PSScriptRoot 'results'),

    # Rounds of B1, B2 and B6 (ours and the peer alternately; the run with the median figure is reported), and of B7's
    # run at the issue's item count without -ResultPath.
    # Default: 3 with -Full, 1 without.
    [ValidateRange(0, 20)]
    [int] $Rounds = 0
)

$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
Set-StrictMode -Version 3.0

$BenchRoot = $PSScriptRoot
$Invariant = [System.Globalization.CultureInfo]::InvariantCulture
$Sizes = if ($Full) {
    [ordered]@{ B1Prompts = 2000; B1Concurrency = 16; B1LatencyMs = 50; B2Calls = 2000; B3Bytes = 2GB; B3Shards = 4; B5Runs = 5; B6Streams = 100; B7Items = 1119; B7Scale = 4; B8PromptTokens = 128; B8DecodeTokens = 32; B9Tries = 20; B10Clients = 64; B10Seconds = 300; B10WarmupSeconds = 60; B10MaxSlopeMiBPerMinute = 20 }
}
else {
    [ordered]@{ B1Prompts = 400; B1Concurrency = 16; B1LatencyMs = 50; B2Calls = 500; B3Bytes = 256MB; B3Shards = 4; B5Runs = 3; B6Streams = 20; B7Items = 200; B7Scale = 4; B8PromptTokens = 32; B8DecodeTokens = 8; B9Tries = 20; B10Clients = 64; B10Seconds = 30; B10WarmupSeconds = 8; B10MaxSlopeMiBPerMinute = 120 }
}
$MaxTokens = 16
if ($Rounds -eq 0) { $Rounds = if ($Full) { 3 } else { 1 } }
$Sizes.InvokeRounds = $Rounds
$B6PerTokenLatencyMs = 10
$B3RssLimitBytes = 256MB
$ChildTimeoutSec = if ($Full) { 900 } else { 300 }

#region processes

function Get-PwshCommand {
    $dll = Join-Path $PSHOME 'pwsh.dll'
    if (Test-Path $dll) { return @('dotnet', $dll) }
    return @((Join-Path $PSHOME 'pwsh'))
}

# Runs a process to the end and answers its stdout; throws with the tail of stderr when it fails or overruns.
function Invoke-BenchProcess {
    param([string] $What, [string] $FilePath, [string[]] $ArgumentList, [string] $WorkingDirectory = $BenchRoot)
    $start = [System.Diagnostics.ProcessStartInfo]::new($FilePath)
    foreach ($argument in $ArgumentList) { $start.ArgumentList.Add($argument) }
    $start.WorkingDirectory = $WorkingDirectory
    $start.UseShellExecute = $false
    $start.RedirectStandardOutput = $true
    $start.RedirectStandardError = $true
    $start.Environment['NO_COLOR'] = '1'
    $process = [System.Diagnostics.Process]::Start($start)
    try {
        $stdout = $process.StandardOutput.ReadToEndAsync()
        $stderr = $process.StandardError.ReadToEndAsync()
        if (-not $process.WaitForExit($ChildTimeoutSec * 1000)) {
            $process.Kill($true)
            throw "$What did not finish within $ChildTimeoutSec s."
        }
        $process.WaitForExit()
        if ($process.ExitCode -ne 0) {
            $text = ($stderr.Result + "`n" + $stdout.Result) -replace '\x1b\[[0-9;?]*[A-Za-z]', ''
            $tail = ($text.Trim() -split "`n" | Where-Object { $_.Trim() } | Select-Object -Last 15) -join "`n"
            throw "$What failed (exit code $($process.ExitCode)):`n$tail"
        }
        return $stdout.Result
    }
    finally {
        $process.Dispose()
    }
}

# A measuring script of bench/cases in a fresh pwsh; answers the result it wrote.
function Invoke-PwshCase {
    param([string] $What, [string] $Script, [hashtable] $Parameters)
    $resultPath = Join-Path $Work ("result-" + [guid]::NewGuid().ToString('N') + '.json')
    $pwsh = Get-PwshCommand
    $arguments = @($pwsh | Select-Object -Skip 1) + @('-NoLogo', '-NoProfile', '-NonInteractive', '-File', (Join-Path $BenchRoot "cases/$Script"),
        '-ModulePath', $ModuleFile, '-EndpointFile', $EndpointFile, '-ResultPath', $resultPath)
    foreach ($name in $Parameters.Keys) { $arguments += @("-$name", [string] $Parameters[$name]) }
    $null = Invoke-BenchProcess -What $What -FilePath $pwsh[0] -ArgumentList $arguments
    Get-Content $resultPath -Raw | ConvertFrom-Json
}

# A peer that prints its result as the last line of stdout.
function Invoke-PeerCase {
    param([string] $What, [string] $FilePath, [string[]] $ArgumentList)
    $stdout = Invoke-BenchProcess -What $What -FilePath $FilePath -ArgumentList $ArgumentList
    $line = ($stdout -split "`n" | Where-Object { $_.Trim() } | Select-Object -Last 1)
    if (-not $line) { throw "$What printed no result." }
    $line | ConvertFrom-Json
}

function Invoke-JsPeer {
    param([string] $What, [string] $Script, [System.Collections.IDictionary] $Options)
    if ($script:JsUnavailable) { throw "not measurable: $script:JsUnavailable" }
    Invoke-PeerCase -What $What -FilePath 'node' -ArgumentList @((Join-Path $BenchRoot "js/$Script"), $EndpointFile,
        ($Options | ConvertTo-Json -Compress -Depth 5))
}

#endregion

#region endpoint

function Set-EndpointKnobs {
    param([hashtable] $LatencyMs = @{}, [hashtable] $Bedrock = @{})
    $knobs = $BaseKnobs | ConvertFrom-Json
    $knobs.latencyMs = $LatencyMs
    foreach ($name in $Bedrock.Keys) { $knobs.bedrock.$name = $Bedrock[$name] }
    $null = Invoke-RestMethod "$($Endpoint.EndpointUrl)/_admin/knobs" -Method Put -ContentType 'application/json' `
        -Body ($knobs | ConvertTo-Json -Depth 10)
}

# Flushes dirty pages (the generated folder, the previous upload's objects) so their writeback does not slow the next uploader.
function Sync-Disk {
    if (Get-Command sync -CommandType Application -ErrorAction SilentlyContinue) { & sync }
}

function Get-EndpointAws {
    @{ EndpointUrl = $Endpoint.EndpointUrl; Region = $Endpoint.Region; AccessKey = $Endpoint.AccessKey; SecretKey = $Endpoint.SecretKey }
}

# A small model imported once, invoked by B1, B2 and B6.
function Get-BenchModelArn {
    if ($script:ModelArn) { return $script:ModelArn }
    Set-EndpointKnobs -Bedrock @{ importDurationMs = 100 }
    $aws = Get-EndpointAws
    $folder = New-BedrockSampleModel -Path (Join-Path $Work 'invoke-model') -ShardCount 1
    $model = Copy-BedrockModelSource @aws -Path $folder.FullName -Destination 's3://bench-models/invoke-model/' -CreateBucket |
        Start-BedrockModelImport @aws -ModelName 'bench-invoke' -RoleArn 'arn:aws:iam::123456789012:role/Bench' |
        Wait-BedrockImportJob @aws -PollingIntervalSec 1 -Timeout 120
    if (-not $model.ModelArn) { throw 'The sample model import produced no model ARN.' }
    $script:ModelArn = $model.ModelArn
    Write-EndpointFile
    $script:ModelArn
}

# The Converse rows of B1 and B6: Converse needs a chat template, which the InvokeModel rows' model has none of (so
# their figures stay as they were); this one is the same sample model with -ChatTemplate, imported the same way.
function Get-BenchConverseModelArn {
    if ($script:ConverseModelArn) { return $script:ConverseModelArn }
    Set-EndpointKnobs -Bedrock @{ importDurationMs = 100 }
    $aws = Get-EndpointAws
    $folder = New-BedrockSampleModel -Path (Join-Path $Work 'converse-model') -ShardCount 1 -ChatTemplate
    $model = Copy-BedrockModelSource @aws -Path $folder.FullName -Destination 's3://bench-models/converse-model/' -CreateBucket |
        Start-BedrockModelImport @aws -ModelName 'bench-converse' -RoleArn 'arn:aws:iam::123456789012:role/Bench' |
        Wait-BedrockImportJob @aws -PollingIntervalSec 1 -Timeout 120
    if (-not $model.ModelArn) { throw 'The chat-template sample model import produced no model ARN.' }
    $script:ConverseModelArn = $model.ModelArn
    Write-EndpointFile
    $script:ConverseModelArn
}

function Write-EndpointFile {
    [ordered]@{
        endpointUrl = $Endpoint.EndpointUrl; region = $Endpoint.Region; accessKey = $Endpoint.AccessKey
        secretKey = $Endpoint.SecretKey; modelArn = $script:ModelArn; converseModelArn = $script:ConverseModelArn
    } | ConvertTo-Json | Set-Content -Path $EndpointFile -Encoding utf8NoBOM
}

# Why Invoke-ImportedModel cannot be measured yet, or $null when it can.
function Get-InvokeGap {
    param([string[]] $Needs)
    $command = Get-Command Invoke-ImportedModel -Module BedrockImport -ErrorAction SilentlyContinue
    if (-not $command) { return 'Invoke-ImportedModel is not in the module yet.' }
    $missing = @($Needs | Where-Object { -not $command.Parameters.ContainsKey($_) })
    if ($missing) { return "Invoke-ImportedModel has no -$($missing -join ', -') yet." }
    $null
}

# Why the module's Converse rows cannot run yet (Invoke-ImportedModel has no -Api), or $null when they can.
function Get-ConverseGap {
    $command = Get-Command Invoke-ImportedModel -Module BedrockImport -ErrorAction SilentlyContinue
    if ($command -and $command.Parameters.ContainsKey('Api')) { return $null }
    'n/a (no -Api)'
}

#endregion

#region evaluation (B7)

$B7ClaudeId = 'anthropic.claude-3-sonnet-20240229-v1:0'
$B7Words = @('りんご', '自転車', '図書館', '太陽', '机', '電車', '時計', '海', '山', '鉛筆', '傘', '橋')
$B7Topics = @('雨の日', '朝ごはん', '旅行', '勉強', '夏休み', '引っ越し', '料理', '音楽')

# JCommonsenseQA-shaped items (q_id, question, choice0..choice4, label) with invented, numbered Japanese questions. The
# five choices are distinct (5k mod 12 differs for k < 5), and the fixed-width number keeps every question from being
# part of another, so each one names its own answer-book entry.
function New-EvaluationItems {
    param([int] $Count, [int] $FirstId = 100000, [string] $Prefix = '問題')
    for ($i = 0; $i -lt $Count; $i++) {
        $item = [ordered]@{ q_id = $FirstId + $i; question = '{0}{1:D5}：次のうち、{2}に最も関係が深いものはどれ？' -f $Prefix, $i, $B7Topics[$i % $B7Topics.Count] }
        for ($k = 0; $k -lt 5; $k++) { $item["choice$k"] = $B7Words[($i + 5 * $k) % $B7Words.Count] }
        $item.label = (3 * $i) % 5
        $item
    }
}

function Write-EvaluationItems([object[]] $Items, [string] $Path) {
    [System.IO.File]::WriteAllLines($Path, [string[]] @($Items | ForEach-Object { $_ | ConvertTo-Json -Compress }), [System.Text.UTF8Encoding]::new($false))
}

# The planted pick of item i: 'right' (its label), 'wrong' (the next choice) or 'none' (an answer that names no choice).
# The imported model: right 70 %, wrong 20 %, unparsed 10 %. The stand-in Claude: right 60 %, wrong 40 %.
function Get-PlantedPick([string] $Model, [int] $Index) {
    if ($Model -eq 'imported') {
        if ($Index % 20 -lt 14) { 'right' } elseif ($Index % 20 -lt 18) { 'wrong' } else { 'none' }
    }
    elseif ($Index % 5 -lt 3) { 'right' } else { 'wrong' }
}

# The answer book of one model for the items: question -> answer, as the endpoint's "contains" entries.
function Get-PlantedBook([string] $Model, [object[]] $Items) {
    $book = @{}
    for ($i = 0; $i -lt $Items.Count; $i++) {
        $item = $Items[$i]
        $book[$item.question] = switch (Get-PlantedPick $Model $i) {
            'right' { ' <answer>' + $item["choice$($item.label)"] + '</answer>' }
            'wrong' { ' <answer>' + $item["choice$(($item.label + 1) % 5)"] + '</answer>' }
            default { ' わかりません。' }
        }
    }
    $book
}

function Get-PlantedCounts([string] $Model, [int] $Count) {
    $picks = @(0..($Count - 1) | ForEach-Object { Get-PlantedPick $Model $_ })
    [ordered]@{ correct = @($picks | Where-Object { $_ -eq 'right' }).Count; unparsed = @($picks | Where-Object { $_ -eq 'none' }).Count }
}

# A sample model (no chat template) whose responses.jsonl is the book, imported as $Name; answers its ARN.
function Import-EvaluationModel([string] $Name, [hashtable] $Book) {
    Set-EndpointKnobs -Bedrock @{ importDurationMs = 100 }
    $aws = Get-EndpointAws
    $folder = New-BedrockSampleModel -Path (Join-Path $Work $Name) -ShardCount 1 -Response $Book
    $model = Copy-BedrockModelSource @aws -Path $folder.FullName -Destination "s3://bench-models/$Name/" -CreateBucket |
        Start-BedrockModelImport @aws -ModelName $Name -RoleArn 'arn:aws:iam::123456789012:role/Bench' |
        Wait-BedrockImportJob @aws -PollingIntervalSec 1 -Timeout 120
    if (-not $model.ModelArn) { throw "The evaluation model $Name produced no model ARN." }
    $model.ModelArn
}

# The stand-in Claude answers from DATA/foundation-models/<id, ':' as '_'>/responses.jsonl (read again when it changes).
function Set-ClaudeBook([hashtable] $Book) {
    $path = Join-Path $Endpoint.DataPath "foundation-models/$($B7ClaudeId.Replace(':', '_'))/responses.jsonl"
    New-Item -ItemType Directory -Force (Split-Path $path) | Out-Null
    [System.IO.File]::WriteAllLines($path, [string[]] @($Book.Keys | ForEach-Object { @{ contains = $_; response = $Book[$_] } | ConvertTo-Json -Compress }),
        [System.Text.UTF8Encoding]::new($false))
}

#endregion

#region results

function New-Row {
    param([string] $Metric, $Ours, [string] $Unit, [string] $PeerName = '', $Peer = $null, [string] $Target = '',
        [ValidateSet('Higher', 'Lower', 'None')] [string] $Better = 'None', $Goal = $null, $Met = $null)
    # Ours may be a text such as 'n/a (no -Api)' for a row whose capability is not in the module yet: no ratio then.
    $ratio = if ($null -ne $Ours -and $Ours -isnot [string] -and $null -ne $Peer -and [double] $Peer -ne 0) { [double] $Ours / [double] $Peer } else { $null }
    if ($null -eq $Met -and $null -ne $Goal -and $null -ne $ratio) {
        $Met = if ($Better -eq 'Higher') { $ratio -ge $Goal } else { $ratio -le $Goal }
    }
    [ordered]@{ metric = $Metric; unit = $Unit; ours = $Ours; peer = $PeerName; peerValue = $Peer; ratio = $ratio; target = $Target; met = $Met }
}

function Invoke-Case {
    param([string] $Id, [string] $Title, [scriptblock] $Body)
    if ($Id -notin $Case) { return }
    Write-Host "== $Id $Title"
    $record = [ordered]@{ id = $Id; title = $Title; status = 'measured'; reason = $null; settings = [ordered]@{}; runs = [ordered]@{}; rows = @(); notes = @() }
    $clock = [System.Diagnostics.Stopwatch]::StartNew()
    try {
        & $Body $record
    }
    catch {
        $message = $_.Exception.Message
        if ($message -like 'not measurable:*') {
            $record.status = 'not yet measurable'
            $record.reason = $message.Substring('not measurable:'.Length).Trim()
        }
        else {
            $record.status = 'failed'
            $record.reason = $message
            Write-Warning "$Id failed: $message"
        }
    }
    $record.seconds = [math]::Round($clock.Elapsed.TotalSeconds, 1)
    foreach ($row in $record.rows) { Write-Host ("   {0}: ours {1}{2}{3}" -f $row.metric, (Format-Figure $row.ours), $(if ($row.ours -is [string]) { '' } else { " $($row.unit)" }),
            $(if ($row.peer) { ", $($row.peer) $(Format-Figure $row.peerValue), ratio $(Format-Figure $row.ratio)" } else { '' })) }
    if ($record.status -ne 'measured') { Write-Host "   $($record.status): $($record.reason)" }
    $script:Cases.Add($record)
}

# The result of one peer inside a case: a failing peer is noted, and the case goes on without its figure.
function Invoke-Peer {
    param($Record, [string] $Name, [scriptblock] $Run)
    try {
        $result = & $Run
        $Record.runs[$Name] = $result
        $result
    }
    catch {
        $Record.runs[$Name] = [ordered]@{ error = $_.Exception.Message }
        $Record.notes += "$Name`: $($_.Exception.Message -replace '^not measurable:\s*', '')"
        Write-Warning "$($Record.id) peer $Name`: $($_.Exception.Message)"
        $null
    }
}

# Runs ours and a peer alternately, $Rounds times, and answers @{ Ours; Peer }: for each, the run with the median $Key.
# Every run is kept in the record (under $OursName and $PeerName). Ours failing fails the case; a failing peer round is
# noted and left out. Without $Ours (the module cannot do it yet) only the peer runs, and Ours is $null.
function Invoke-Rounds {
    param($Record, [string] $Key, [scriptblock] $Ours, [string] $PeerName, [scriptblock] $Peer, [string] $OursName = 'ours')
    $oursRuns = [System.Collections.Generic.List[object]]::new()
    $peerRuns = [System.Collections.Generic.List[object]]::new()
    $peerLog = [System.Collections.Generic.List[object]]::new()
    for ($round = 1; $round -le $Rounds; $round++) {
        if ($Ours) { $oursRuns.Add((& $Ours)) }
        if (-not ($script:JsUnavailable -and $peerLog.Count)) {
            try {
                $run = & $Peer
                $peerRuns.Add($run)
                $peerLog.Add($run)
            }
            catch {
                $message = $_.Exception.Message -replace '^not measurable:\s*', ''
                $peerLog.Add([ordered]@{ error = $message })
                $Record.notes += "$PeerName, round $round`: $message"
                Write-Warning "$($Record.id) peer $PeerName`: $message"
            }
        }
    }
    $Record.runs[$OursName] = $oursRuns.ToArray()
    $Record.runs[$PeerName] = $peerLog.ToArray()
    [pscustomobject]@{ Ours = Select-MedianRun $oursRuns $Key; Peer = Select-MedianRun $peerRuns $Key }
}

function Select-MedianRun($Runs, [string] $Key) {
    $sorted = @($Runs | Sort-Object { [double] $_.$Key })
    if ($sorted.Count -eq 0) { return $null }
    $sorted[[math]::Floor(($sorted.Count - 1) / 2)]
}

function Format-Figure($Value) {
    if ($null -eq $Value) { return '—' }
    if ($Value -is [bool]) { return $(if ($Value) { 'yes' } else { 'no' }) }
    if ($Value -is [string]) { return $Value }
    if ($Value -is [int] -or $Value -is [long]) { return $Value.ToString('N0', $Invariant) }
    $number = [double] $Value
    if ($number -eq 0) { return '0' }
    $digits = if ([math]::Abs($number) -ge 100) { 0 } elseif ([math]::Abs($number) -ge 10) { 1 } elseif ([math]::Abs($number) -ge 1) { 2 } else { 3 }
    $number.ToString("N$digits", $Invariant)
}

function Write-Results {
    param([string] $Directory)
    New-Item -ItemType Directory -Path $Directory -Force | Out-Null
    $stamp = $Started.ToString('yyyy-MM-dd', $Invariant)
    # A run of some cases only (-Case) gets its own files, so it never replaces the day's run of every case.
    $all = (Get-Command $PSCommandPath).Parameters['Case'].Attributes | Where-Object { $_ -is [System.Management.Automation.ValidateSetAttribute] } |
        ForEach-Object ValidValues
    $name = if (@($all | Where-Object { $_ -notin $Case }).Count) { "$stamp-" + (@($all | Where-Object { $_ -in $Case }) -join '-') } else { $stamp }
    $report = [ordered]@{
        date = $stamp
        startedUtc = $Started.ToString('o', $Invariant)
        durationSeconds = [math]::Round(([datetime]::UtcNow - $Started).TotalSeconds, 1)
        full = [bool] $Full
        sizes = $Sizes
        machine = $Machine
        cases = $Cases
    }
    $jsonPath = Join-Path $Directory "$name.json"
    $report | ConvertTo-Json -Depth 12 | Set-Content -Path $jsonPath -Encoding utf8NoBOM

    $md = [System.Text.StringBuilder]::new()
    $null = $md.AppendLine("# BedrockImport benchmarks, $stamp").AppendLine()
    $null = $md.AppendLine("Run $($report.startedUtc) ($(if ($Full) { 'full sizes' } else { 'CI sizes' }), $($report.durationSeconds) s) on $($Machine.cpuCount) CPUs, " +
        "load average at start $($Machine.loadAverage); commit $($Machine.commit); PowerShell $($Machine.pwsh), .NET $($Machine.dotnet), Node $($Machine.node).")
    $null = $md.AppendLine("Sizes: $(($Sizes.Keys | ForEach-Object { "$_ $($Sizes[$_])" }) -join ', ').").AppendLine()
    $null = $md.AppendLine('Ratio is ours ÷ peer. MB is 10^6 bytes. Targets are goals, not assertions.').AppendLine()
    $null = $md.AppendLine('| Case | Metric | Ours | Peer | Peer value | Ratio | Target | Met? |')
    $null = $md.AppendLine('|---|---|---:|---|---:|---:|---|---|')
    foreach ($record in $Cases) {
        if ($record.status -ne 'measured' -and -not $record.rows) {
            $null = $md.AppendLine("| $($record.id) | $($record.title): **$($record.status)** | — | | | | $($record.target) | n/a |")
            continue
        }
        foreach ($row in $record.rows) {
            $met = if ($null -eq $row.met) { $(if ($row.target) { 'n/a' } else { '—' }) } elseif ($row.met) { 'yes' } else { 'no' }
            $null = $md.AppendLine("| $($record.id) | $($row.metric) ($($row.unit)) | $(Format-Figure $row.ours) | $($row.peer) | $(Format-Figure $row.peerValue) | " +
                "$(if ($null -ne $row.ratio) { (Format-Figure $row.ratio) + '×' } else { '—' }) | $($row.target) | $met |")
        }
    }
    $null = $md.AppendLine()
    foreach ($record in $Cases) {
        $lines = @()
        if ($record.status -ne 'measured') { $lines += "$($record.status): $($record.reason)" }
        $lines += $record.notes
        if ($lines) {
            $text = ($lines -join ' ') -replace '\s*\r?\n\s*', ' / ' -replace '\|', '\|'
            $null = $md.AppendLine("- **$($record.id) $($record.title)**: $text")
        }
    }
    $mdPath = Join-Path $Directory "$name.md"
    Set-Content -Path $mdPath -Value $md.ToString() -Encoding utf8NoBOM
    Write-Host "Results: $mdPath, $jsonPath"
}

#endregion

#region setup

$Started = [datetime]::UtcNow
$ModuleFile = (Resolve-Path $ModulePath).Path
$Cases = [System.Collections.Generic.List[object]]::new()
$Work = Join-Path ([IO.Path]::GetTempPath()) ('bedrockimport-bench-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
New-Item -ItemType Directory -Path $Work | Out-Null
$EndpointFile = Join-Path $Work 'endpoint.json'
$script:ModelArn = $null
$script:ConverseModelArn = $null
$script:JsUnavailable = $null
$script:TransferUtilityDll = $null

function Get-ToolVersion([string] $Command, [string[]] $Arguments) {
    try { ((& $Command @Arguments 2>$null) | Select-Object -First 1).ToString().Trim() } catch { 'unknown' }
}

$Machine = [ordered]@{
    cpuCount = [Environment]::ProcessorCount
    os = [System.Runtime.InteropServices.RuntimeInformation]::OSDescription
    loadAverage = $(try { ((Get-Content /proc/loadavg -Raw) -split ' ')[0..2] -join ' ' } catch { 'unknown' })
    pwsh = $PSVersionTable.PSVersion.ToString()
    dotnet = Get-ToolVersion dotnet @('--version')
    node = Get-ToolVersion node @('--version')
    commit = $(try { $c = (git -C $BenchRoot rev-parse --short HEAD 2>$null); if ($c -and (git -C $BenchRoot status --porcelain 2>$null)) { "$c (with local changes)" } else { $c } } catch { 'unknown' })
}

Write-Host "Benchmarks ($(if ($Full) { 'full' } else { 'CI' }) sizes) of $ModuleFile; work folder $Work"

if (-not (Get-Command node -ErrorAction SilentlyContinue)) {
    $script:JsUnavailable = 'node is not installed.'
}
elseif (-not (Test-Path (Join-Path $BenchRoot 'js/node_modules/@aws-sdk/client-bedrock-runtime'))) {
    Write-Host 'Installing the JavaScript peers (npm ci in bench/js)'
    try {
        $null = Invoke-BenchProcess -What 'npm ci (bench/js)' -FilePath 'npm' -ArgumentList @('ci', '--no-audit', '--no-fund', '--loglevel=error') `
            -WorkingDirectory (Join-Path $BenchRoot 'js')
    }
    catch {
        $script:JsUnavailable = "npm ci failed: $($_.Exception.Message)"
    }
}

#endregion

$Endpoint = $null
try {
    Import-Module $ModuleFile -Force
    $Endpoint = Start-BedrockLocalEndpoint -DataPath (Join-Path $Work 'endpoint')
    $BaseKnobs = (Invoke-WebRequest "$($Endpoint.EndpointUrl)/_admin/knobs").Content
    Write-EndpointFile

    Invoke-Case 'B5' 'Import-Module and first-cmdlet time' {
        param($record)
        $record.settings = [ordered]@{ runs = $Sizes.B5Runs; firstCmdlet = 'Get-ImportedModel against the local endpoint' }
        $samples = for ($i = 1; $i -le $Sizes.B5Runs; $i++) {
            Invoke-PwshCase -What "B5 run $i" -Script 'Measure-ModuleLoad.ps1' -Parameters @{}
        }
        $record.runs['ours'] = @($samples)
        $median = { param($name) @($samples.$name | Sort-Object)[[math]::Floor(@($samples).Count / 2)] }
        $record.rows += New-Row -Metric 'Import-Module, median' -Unit 'ms' -Ours (& $median 'importMs')
        $record.rows += New-Row -Metric 'first cmdlet (Get-ImportedModel), median' -Unit 'ms' -Ours (& $median 'firstCmdletMs') `
            -PeerName 'limit' -Peer 150 -Target '≤ 150 ms' -Better Lower -Goal 1.0
        $record.rows += New-Row -Metric 'same cmdlet again, median' -Unit 'ms' -Ours (& $median 'secondCallMs')
    }

    Invoke-Case 'B1' 'invoke pipeline throughput' {
        param($record)
        $ideal = $Sizes.B1Concurrency / ($Sizes.B1LatencyMs / 1000)
        $record.settings = [ordered]@{ prompts = $Sizes.B1Prompts; concurrency = $Sizes.B1Concurrency; endpointLatencyMs = $Sizes.B1LatencyMs; maxTokens = $MaxTokens; idealPromptsPerSecond = $ideal }
        $gap = Get-InvokeGap @('ModelId', 'Prompt', 'MaxTokens', 'ThrottleLimit')
        if ($gap) { throw "not measurable: $gap" }
        $null = Get-BenchModelArn
        $null = Get-BenchConverseModelArn
        Set-EndpointKnobs -LatencyMs @{ 'bedrock:InvokeModel' = $Sizes.B1LatencyMs; 'bedrock:Converse' = $Sizes.B1LatencyMs }
        $warmup = 2 * $Sizes.B1Concurrency
        $median = Invoke-Rounds $record -Key 'callsPerSecond' -PeerName 'AWS SDK for JavaScript v3' -Ours {
            Invoke-PwshCase -What 'B1 Invoke-ImportedModel' -Script 'Measure-Invoke.ps1' -Parameters @{
                Mode = 'throughput'; Count = $Sizes.B1Prompts; Concurrency = $Sizes.B1Concurrency; MaxTokens = $MaxTokens; Warmup = $warmup }
        } -Peer {
            Invoke-JsPeer -What 'B1 JS SDK' -Script 'invoke.mjs' -Options ([ordered]@{
                    mode = 'throughput'; count = $Sizes.B1Prompts; concurrency = $Sizes.B1Concurrency; maxTokens = $MaxTokens; warmup = $warmup })
        }
        $ours = $median.Ours
        $js = $median.Peer
        $record.rows += New-Row -Metric 'prompts/s vs ideal' -Unit 'prompts/s' -Ours $ours.callsPerSecond -PeerName "ideal ($($Sizes.B1Concurrency) / $($Sizes.B1LatencyMs / 1000) s)" `
            -Peer $ideal -Target '≥ 0.9×' -Better Higher -Goal 0.9
        $record.rows += New-Row -Metric 'prompts/s vs JS SDK' -Unit 'prompts/s' -Ours $ours.callsPerSecond -PeerName '@aws-sdk/client-bedrock-runtime' `
            -Peer $(if ($js) { $js.callsPerSecond }) -Target '≥ 1.0×' -Better Higher -Goal 1.0
        if ($js) { $record.notes += "JS SDK reaches $(Format-Figure ($js.callsPerSecond / $ideal))× of ideal." }

        # The Converse rows, after the InvokeModel rounds: the same prompts, maxTokens, concurrency, warm-up and 50 ms
        # latency (on bedrock:Converse), against the chat-template model. Ours waits for -Api; the JS SDK runs regardless.
        $converseGap = Get-ConverseGap
        $oursConverse = if (-not $converseGap) {
            {
                Invoke-PwshCase -What 'B1 Invoke-ImportedModel -Api Converse' -Script 'Measure-Invoke.ps1' -Parameters @{
                    Mode = 'throughput'; Count = $Sizes.B1Prompts; Concurrency = $Sizes.B1Concurrency; MaxTokens = $MaxTokens; Warmup = $warmup; Api = 'Converse' }
            }
        }
        $converse = Invoke-Rounds $record -Key 'callsPerSecond' -OursName 'ours (Converse)' -PeerName 'AWS SDK for JavaScript v3 (Converse)' -Ours $oursConverse -Peer {
            Invoke-JsPeer -What 'B1 JS SDK Converse' -Script 'converse.mjs' -Options ([ordered]@{
                    mode = 'throughput'; count = $Sizes.B1Prompts; concurrency = $Sizes.B1Concurrency; maxTokens = $MaxTokens; warmup = $warmup })
        }
        $oursConverseRate = if ($converseGap) { $converseGap } else { $converse.Ours.callsPerSecond }
        $jsConverse = $converse.Peer
        $record.rows += New-Row -Metric 'Converse prompts/s vs ideal' -Unit 'prompts/s' -Ours $oursConverseRate -PeerName "ideal ($($Sizes.B1Concurrency) / $($Sizes.B1LatencyMs / 1000) s)" `
            -Peer $ideal
        $record.rows += New-Row -Metric 'Converse prompts/s vs JS SDK Converse' -Unit 'prompts/s' -Ours $oursConverseRate -PeerName '@aws-sdk/client-bedrock-runtime ConverseCommand' `
            -Peer $(if ($jsConverse) { $jsConverse.callsPerSecond })
        if ($jsConverse) { $record.notes += "JS SDK Converse reaches $(Format-Figure ($jsConverse.callsPerSecond / $ideal))× of ideal." }
        if ($converseGap) { $record.notes += 'Our Converse rows are n/a: this Invoke-ImportedModel has no -Api yet; the JS SDK''s Converse was measured.' }
    }

    Invoke-Case 'B2' 'client cost per call' {
        param($record)
        $record.settings = [ordered]@{ calls = $Sizes.B2Calls; endpointLatencyMs = 0; maxTokens = $MaxTokens; sequential = $true }
        $gap = Get-InvokeGap @('ModelId', 'Prompt', 'MaxTokens', 'ThrottleLimit')
        if ($gap) { throw "not measurable: $gap" }
        $null = Get-BenchModelArn
        Set-EndpointKnobs
        $warmup = 100
        $median = Invoke-Rounds $record -Key 'cpuMsPerCall' -PeerName 'AWS SDK for JavaScript v3' -Ours {
            Invoke-PwshCase -What 'B2 Invoke-ImportedModel' -Script 'Measure-Invoke.ps1' -Parameters @{
                Mode = 'sequential'; Count = $Sizes.B2Calls; MaxTokens = $MaxTokens; Warmup = $warmup }
        } -Peer {
            Invoke-JsPeer -What 'B2 JS SDK' -Script 'invoke.mjs' -Options ([ordered]@{ mode = 'sequential'; count = $Sizes.B2Calls; maxTokens = $MaxTokens; warmup = $warmup })
        }
        $ours = $median.Ours
        $js = $median.Peer
        $record.rows += New-Row -Metric 'CPU per call' -Unit 'ms' -Ours $ours.cpuMsPerCall -PeerName '@aws-sdk/client-bedrock-runtime' `
            -Peer $(if ($js) { $js.cpuMsPerCall }) -Target '≤ 1.0×' -Better Lower -Goal 1.0
        $record.rows += New-Row -Metric 'wall time per call' -Unit 'ms' -Ours (1000 / $ours.callsPerSecond) -PeerName '@aws-sdk/client-bedrock-runtime' `
            -Peer $(if ($js) { 1000 / $js.callsPerSecond })
    }

    Invoke-Case 'B6' 'streaming first-token overhead' {
        param($record)
        $record.settings = [ordered]@{ streams = $Sizes.B6Streams; perTokenLatencyMs = $B6PerTokenLatencyMs; maxTokens = $MaxTokens; sequential = $true }
        $gap = Get-InvokeGap @('ModelId', 'Prompt', 'MaxTokens', 'ThrottleLimit', 'Stream')
        if ($gap) { throw "not measurable: $gap" }
        $null = Get-BenchModelArn
        $null = Get-BenchConverseModelArn
        Set-EndpointKnobs -Bedrock @{ perTokenLatencyMs = $B6PerTokenLatencyMs }
        try {
            $warmup = 10
            $median = Invoke-Rounds $record -Key 'overheadMsMedian' -PeerName 'AWS SDK for JavaScript v3' -Ours {
                Invoke-PwshCase -What 'B6 Invoke-ImportedModel -Stream' -Script 'Measure-Invoke.ps1' -Parameters @{
                    Mode = 'stream'; Count = $Sizes.B6Streams; MaxTokens = $MaxTokens; Warmup = $warmup; AssumedEndpointFirstTokenMs = $B6PerTokenLatencyMs }
            } -Peer {
                Invoke-JsPeer -What 'B6 JS SDK' -Script 'invoke.mjs' -Options ([ordered]@{ mode = 'stream'; count = $Sizes.B6Streams; maxTokens = $MaxTokens; warmup = $warmup })
            }
            $ours = $median.Ours
            $js = $median.Peer

            # The Converse rows, after the InvokeModel rounds: ConverseStream with the same streams, warm-up and pacing.
            $converseGap = Get-ConverseGap
            $oursConverse = if (-not $converseGap) {
                {
                    Invoke-PwshCase -What 'B6 Invoke-ImportedModel -Api Converse -Stream' -Script 'Measure-Invoke.ps1' -Parameters @{
                        Mode = 'stream'; Count = $Sizes.B6Streams; MaxTokens = $MaxTokens; Warmup = $warmup; AssumedEndpointFirstTokenMs = $B6PerTokenLatencyMs; Api = 'Converse' }
                }
            }
            $converse = Invoke-Rounds $record -Key 'overheadMsMedian' -OursName 'ours (Converse)' -PeerName 'AWS SDK for JavaScript v3 (Converse)' -Ours $oursConverse -Peer {
                Invoke-JsPeer -What 'B6 JS SDK ConverseStream' -Script 'converse.mjs' -Options ([ordered]@{
                        mode = 'stream'; count = $Sizes.B6Streams; maxTokens = $MaxTokens; warmup = $warmup; assumedEndpointFirstTokenMs = $B6PerTokenLatencyMs })
            }
        }
        finally {
            Set-EndpointKnobs
        }
        $record.rows += New-Row -Metric 'first-token overhead over the endpoint''s firstByteLatency, median' -Unit 'ms' -Ours $ours.overheadMsMedian `
            -PeerName '@aws-sdk/client-bedrock-runtime' -Peer $(if ($js) { $js.overheadMsMedian })
        $record.rows += New-Row -Metric 'first token, median' -Unit 'ms' -Ours $ours.firstTokenMsMedian -PeerName '@aws-sdk/client-bedrock-runtime' `
            -Peer $(if ($js) { $js.firstTokenMsMedian })
        $record.rows += New-Row -Metric 'CPU per streamed call' -Unit 'ms' -Ours $ours.cpuMsPerCall -PeerName '@aws-sdk/client-bedrock-runtime' `
            -Peer $(if ($js) { $js.cpuMsPerCall }) -Target '≤ 1.0×' -Better Lower -Goal 1.0
        $record.rows += New-Row -Metric 'wall time per streamed call' -Unit 'ms' -Ours (1000 / $ours.callsPerSecond) -PeerName '@aws-sdk/client-bedrock-runtime' `
            -Peer $(if ($js) { 1000 / $js.callsPerSecond })
        # The runtime's background tiered JIT (recompiling hot methods of pwsh, the BCL and the module) runs on a thread of
        # its own: taken out, what is left is the per-call work itself, beside the JS SDK's whole CPU (V8's JIT included).
        $tieredJitMs = { param($run) $jit = @($run.threadCpuMs.PSObject.Properties | Where-Object Name -like '.NET Tiered*' | ForEach-Object Value); [double] ($jit | Measure-Object -Sum).Sum }
        $withoutJit = { param($run) ($run.cpuMs - (& $tieredJitMs $run)) / $run.count }
        $record.rows += New-Row -Metric 'CPU per streamed call without the tiered-JIT thread (peer: its whole CPU)' -Unit 'ms' -Ours (& $withoutJit $ours) `
            -PeerName '@aws-sdk/client-bedrock-runtime' -Peer $(if ($js) { $js.cpuMsPerCall })
        $jitNote = { param($name, $run) "${name}: the tiered-JIT thread used $(Format-Figure (& $tieredJitMs $run)) ms of $(Format-Figure $run.cpuMs) ms; the JIT compiled $($run.jitCompiledMethods) methods during the $($run.count) calls." }
        $record.notes += & $jitNote 'InvokeModel' $ours
        $jsConverse = $converse.Peer
        $oursConverseFigure = { param($compute) if ($converseGap) { $converseGap } else { & $compute $converse.Ours } }
        $jsConverseFigure = { param($compute) if ($jsConverse) { & $compute $jsConverse } }
        $converseRows = [ordered]@{
            'Converse: first-token overhead over perTokenLatencyMs, median' = { param($run) $run.overheadMsMedian }
            'Converse: first token, median'                                  = { param($run) $run.firstTokenMsMedian }
            'Converse: CPU per streamed call'                                = { param($run) $run.cpuMsPerCall }
            'Converse: wall time per streamed call'                          = { param($run) 1000 / $run.callsPerSecond }
        }
        foreach ($metric in $converseRows.Keys) {
            $record.rows += New-Row -Metric $metric -Unit 'ms' -Ours (& $oursConverseFigure $converseRows[$metric]) `
                -PeerName '@aws-sdk/client-bedrock-runtime ConverseStreamCommand' -Peer (& $jsConverseFigure $converseRows[$metric])
        }
        $converseWithoutJit = 'Converse: CPU per streamed call without the tiered-JIT thread (peer: its whole CPU)'
        $record.rows += New-Row -Metric $converseWithoutJit -Unit 'ms' -Ours (& $oursConverseFigure $withoutJit) `
            -PeerName '@aws-sdk/client-bedrock-runtime ConverseStreamCommand' -Peer (& $jsConverseFigure { param($run) $run.cpuMsPerCall })
        if (-not $converseGap) { $record.notes += & $jitNote 'Converse' $converse.Ours }
        $record.notes += "ConverseStream carries no firstByteLatency, so the Converse rows take perTokenLatencyMs ($B6PerTokenLatencyMs ms, the wait before the endpoint's first contentBlockDelta) as the endpoint's first-token time, for both clients."
        if ($converseGap) { $record.notes += 'Our Converse rows are n/a: this Invoke-ImportedModel has no -Api yet; the JS SDK''s ConverseStream was measured.' }
        if ($ours.endpointFirstByteSource -eq 'assumed') {
            $record.notes += "Invoke-ImportedModel's Raw carries no invocation metrics, so the endpoint's own first-token time is taken as perTokenLatencyMs ($B6PerTokenLatencyMs ms) for ours."
        }
        $record.notes += "The endpoint's own first-byte latency (median): $(Format-Figure $ours.endpointFirstByteMsMedian) ms for ours, $(if ($js) { Format-Figure $js.endpointFirstByteMsMedian } else { '—' }) ms for the JS SDK."
    }

    Invoke-Case 'B7' 'evaluation throughput and memory' {
        param($record)
        $items = $Sizes.B7Items
        $scaled = $items * $Sizes.B7Scale
        $concurrency = 16
        $latencyMs = 50
        $ideal = $concurrency / ($latencyMs / 1000)
        $record.settings = [ordered]@{ items = $items; scaledItems = $scaled; models = @('imported sample model (InvokeModel)', "$B7ClaudeId (Converse)")
            concurrency = $concurrency; endpointLatencyMs = $latencyMs; idealRequestsPerSecond = $ideal; warmupItems = 2 * $concurrency; rounds = $Rounds
            planted = [ordered]@{ imported = 'right 70 %, wrong 20 %, unparsed 10 %'; claude = 'right 60 %, wrong 40 %' } }
        if (-not (Get-Command Invoke-ImportedModelEvaluation -Module BedrockImport -ErrorAction SilentlyContinue)) {
            throw 'not measurable: Invoke-ImportedModelEvaluation is not in the module yet.'
        }

        $all = @(New-EvaluationItems -Count $scaled)
        $sets = @{}
        foreach ($count in @($items, $scaled)) {
            $set = @($all | Select-Object -First $count)
            $path = Join-Path $Work "evaluation-$count.jsonl"
            Write-EvaluationItems $set $path
            $sets[$count] = [pscustomobject]@{ Count = $count; Path = $path; Items = $set
                ModelArn = Import-EvaluationModel "bench-eval-$count" (Get-PlantedBook 'imported' $set)
                Expected = [ordered]@{ imported = Get-PlantedCounts 'imported' $count; claude = Get-PlantedCounts 'claude' $count } }
        }
        # Warm-up items are not in the books: the models answer them with pseudo-text (unparsed), which warms the same code.
        $warmupPath = Join-Path $Work 'evaluation-warmup.jsonl'
        Write-EvaluationItems @(New-EvaluationItems -Count (2 * $concurrency) -FirstId 900000 -Prefix '練習') $warmupPath
        # The reference: B1's pipeline (Invoke-ImportedModel, InvokeModel only) with as many prompts, at the same moment.
        $null = Get-BenchModelArn
        Write-EndpointFile

        # One run of ours in a fresh pwsh on the set of $count items; the summaries must show the planted counts exactly.
        $run = {
            param([int] $Count, [bool] $WithRows)
            $set = $sets[$Count]
            $parameters = @{ DatasetPath = $set.Path; Models = "$($set.ModelArn),$B7ClaudeId"; Concurrency = $concurrency; WarmupPath = $warmupPath
                EndpointProcessId = $Endpoint.ProcessId }
            if ($WithRows) { $parameters.RowsPath = Join-Path $Work "evaluation-rows-$Count-$([guid]::NewGuid().ToString('N').Substring(0, 6)).jsonl" }
            $result = Invoke-PwshCase -What "B7 Invoke-ImportedModelEvaluation, $Count items$(if ($WithRows) { ', -ResultPath' })" -Script 'Measure-Evaluation.ps1' -Parameters $parameters
            $names = @('imported', 'claude')
            for ($m = 0; $m -lt 2; $m++) {
                $summary = $result.summaries[$m]
                $expected = $set.Expected[$names[$m]]
                if ($summary.items -ne $Count -or $summary.correct -ne $expected.correct -or $summary.unparsed -ne $expected.unparsed) {
                    throw "B7 scored $($summary.model) $($summary.correct) right and $($summary.unparsed) unparsed of $($summary.items) items; planted: $($expected.correct) and $($expected.unparsed) of $Count."
                }
            }
            if ($WithRows -and $result.rowsWritten -ne 2 * $Count) { throw "B7 -ResultPath holds $($result.rowsWritten) rows for $(2 * $Count) requests." }
            $result
        }

        Set-EndpointKnobs -LatencyMs @{ 'bedrock:InvokeModel' = $latencyMs; 'bedrock:Converse' = $latencyMs }
        try {
            Set-ClaudeBook (Get-PlantedBook 'claude' $sets[$items].Items)
            $evaluations = [System.Collections.Generic.List[object]]::new()
            $references = [System.Collections.Generic.List[object]]::new()
            for ($round = 1; $round -le $Rounds; $round++) {
                $evaluations.Add((& $run $items $false))
                $references.Add((Invoke-PwshCase -What 'B7 reference: Invoke-ImportedModel' -Script 'Measure-Invoke.ps1' -Parameters @{
                            Mode = 'throughput'; Count = 2 * $items; Concurrency = $concurrency; MaxTokens = $MaxTokens; Warmup = 2 * $concurrency }))
            }
            $record.runs['ours'] = $evaluations.ToArray()
            $record.runs['Invoke-ImportedModel (reference)'] = $references.ToArray()
            $base = Select-MedianRun $evaluations 'requestsPerSecond'
            $reference = Select-MedianRun $references 'callsPerSecond'
            $baseRows = & $run $items $true
            $record.runs['ours, -ResultPath'] = $baseRows
            Set-ClaudeBook (Get-PlantedBook 'claude' $sets[$scaled].Items)
            $big = & $run $scaled $false
            $record.runs["ours, $scaled items"] = $big
            $bigRows = & $run $scaled $true
            $record.runs["ours, $scaled items, -ResultPath"] = $bigRows
        }
        finally {
            Set-EndpointKnobs
        }

        $mib = { param($bytes) $bytes / 1MB }
        $record.rows += New-Row -Metric "requests/s vs ideal ($items items × 2 models)" -Unit 'requests/s' -Ours $base.requestsPerSecond `
            -PeerName "ideal ($concurrency / $($latencyMs / 1000) s)" -Peer $ideal -Target '≥ 0.9×' -Better Higher -Goal 0.9
        $record.rows += New-Row -Metric 'requests/s vs Invoke-ImportedModel (B1''s pipeline, as many prompts, same moment)' -Unit 'requests/s' -Ours $base.requestsPerSecond `
            -PeerName 'Invoke-ImportedModel -ThrottleLimit 16' -Peer $reference.callsPerSecond
        $record.rows += New-Row -Metric 'items/s vs ideal' -Unit 'items/s' -Ours $base.itemsPerSecond -PeerName 'ideal (2 requests an item)' -Peer ($ideal / 2)
        $record.rows += New-Row -Metric 'requests/s with -ResultPath (JSON Lines)' -Unit 'requests/s' -Ours $baseRows.requestsPerSecond -PeerName 'without -ResultPath' -Peer $base.requestsPerSecond
        $record.rows += New-Row -Metric "requests/s at $scaled items" -Unit 'requests/s' -Ours $big.requestsPerSecond -PeerName "$items items" -Peer $base.requestsPerSecond
        $record.rows += New-Row -Metric "requests/s at $scaled items with -ResultPath" -Unit 'requests/s' -Ours $bigRows.requestsPerSecond -PeerName "$items items with -ResultPath" -Peer $baseRows.requestsPerSecond
        $record.rows += New-Row -Metric "peak RSS, $items items" -Unit 'MiB' -Ours (& $mib $base.peakRssBytes)
        $record.rows += New-Row -Metric "peak RSS, $scaled items vs $items" -Unit 'MiB' -Ours (& $mib $big.peakRssBytes) -PeerName "$items items" -Peer (& $mib $base.peakRssBytes) `
            -Target '≤ 1.1×' -Better Lower -Goal 1.1
        $record.rows += New-Row -Metric "peak RSS with -ResultPath, $items items" -Unit 'MiB' -Ours (& $mib $baseRows.peakRssBytes)
        $record.rows += New-Row -Metric "peak RSS with -ResultPath, $scaled items vs $items" -Unit 'MiB' -Ours (& $mib $bigRows.peakRssBytes) -PeerName "$items items with -ResultPath" `
            -Peer (& $mib $baseRows.peakRssBytes) -Target '≤ 1.1×' -Better Lower -Goal 1.1
        $record.rows += New-Row -Metric "peak RSS above the pre-run RSS, $scaled items vs $items" -Unit 'MiB' -Ours (& $mib ($big.peakRssBytes - $big.rssBeforeBytes)) `
            -PeerName "$items items" -Peer (& $mib ($base.peakRssBytes - $base.rssBeforeBytes))
        $record.rows += New-Row -Metric "peak RSS above the pre-run RSS with -ResultPath, $scaled items vs $items" -Unit 'MiB' -Ours (& $mib ($bigRows.peakRssBytes - $bigRows.rssBeforeBytes)) `
            -PeerName "$items items with -ResultPath" -Peer (& $mib ($baseRows.peakRssBytes - $baseRows.rssBeforeBytes))
        $record.rows += New-Row -Metric 'CPU per request, evaluating pwsh' -Unit 'ms' -Ours $base.cpuMsPerRequest
        $tieredJitMs = { param($run) $jit = @($run.threadCpuMs.PSObject.Properties | Where-Object Name -like '.NET Tiered*' | ForEach-Object Value); ($jit | Measure-Object -Sum).Sum }
        $record.rows += New-Row -Metric 'CPU per request, evaluating pwsh, without the tiered-JIT thread' -Unit 'ms' -Ours (($base.cpuMs - (& $tieredJitMs $base)) / $base.requests) `
            -PeerName "at $scaled items" -Peer (($big.cpuMs - (& $tieredJitMs $big)) / $big.requests)
        $record.rows += New-Row -Metric 'CPU per request, endpoint' -Unit 'ms' -Ours $base.endpointCpuMsPerRequest -PeerName "at $scaled items" -Peer $big.endpointCpuMsPerRequest
        $names = [ordered]@{ imported = 'imported sample model'; claude = $B7ClaudeId }
        $m = 0
        foreach ($key in $names.Keys) {
            $planted = $sets[$items].Expected[$key].correct / $items
            $record.rows += New-Row -Metric "accuracy, $($names[$key]) ($items items)" -Unit 'share' -Ours $base.summaries[$m].accuracy -PeerName 'planted in its answer book' `
                -Peer $planted -Target '= planted' -Met ($base.summaries[$m].accuracy -eq $planted)
            $m++
        }
        $record.notes += "Each run is a fresh pwsh: Invoke-ImportedModelEvaluation -ModelId <imported ARN>, $B7ClaudeId -Path <JSON Lines> -ThrottleLimit $concurrency, timed from the call to its summaries (the cmdlet's first pass over the file, model checks and the last row included), after a $(2 * $concurrency)-item warm-up (its own items, answered with pseudo-text) and 1 s of settling; the endpoint adds $latencyMs ms to every InvokeModel and Converse call."
        $record.notes += "Every run's summaries matched the planted counts exactly (imported: $($sets[$items].Expected.imported.correct) right, $($sets[$items].Expected.imported.unparsed) unparsed of $items; Claude: $($sets[$items].Expected.claude.correct) right of $items; and likewise at $scaled items), so every request was really answered and scored."
        $meanLatency = ($base.summaries | Measure-Object meanLatencyMs -Average).Average
        $record.notes += "Where the rate goes: the mean request took $(Format-Figure $meanLatency) ms as the client timed it (the endpoint waits $latencyMs), so $concurrency requests always in flight would give $(Format-Figure ($concurrency * 1000 / $meanLatency)) requests/s; the measured rate is $(Format-Figure ($base.requestsPerSecond * $meanLatency / 1000 / $concurrency))× of that (the rest: slots idle between requests, the cmdlet's first pass over the file, model checks and the tail of the run). The reference is B1's pipeline (Invoke-ImportedModel -MaxTokens $MaxTokens on the InvokeModel model, $(2 * $items) prompts, $concurrency in flight, the same latency), run alternately with ours."
        $threads = ($base.threadCpuMs.PSObject.Properties | Sort-Object Value -Descending | Select-Object -First 4 | ForEach-Object { "'$($_.Name)' $(Format-Figure $_.Value)" }) -join ', '
        $record.notes += "CPU of the evaluating pwsh over the $items-item run by thread: $threads ms of $(Format-Figure $base.cpuMs) ms; '.NET Tiered Com' is the runtime's background tiered JIT recompiling hot code: busiest in the run's first seconds, it goes on more slowly in a long run ($(Format-Figure (& $tieredJitMs $big)) ms of $(Format-Figure $big.cpuMs) ms over the $scaled-item run, $(Format-Figure $big.cpuMsPerRequest) ms per request in all)."
        $record.notes += "What the peak holds: the managed heap that survives a full collection after the run is $(Format-Figure (& $mib $base.liveHeapBytes)) MiB at $items items and $(Format-Figure (& $mib $big.liveHeapBytes)) MiB at $scaled ($(Format-Figure (& $mib $bigRows.liveHeapBytes)) MiB with -ResultPath); the evaluating pwsh allocates $(Format-Figure ($base.allocatedBytesPerRequest / 1KB)) KiB per request ($(Format-Figure ($baseRows.allocatedBytesPerRequest / 1KB)) with -ResultPath), and the runs made $($base.gcCollections -join '/') and $($big.gcCollections -join '/') gen0/gen1/gen2 collections, so most of the peak above the pre-run RSS is the allocation budget between collections (garbage), not data kept per item. The live heap after the run cannot show what the cmdlet held during it: with -ResultPath the store keeps every row it appended until the cmdlet ends, which the 4× run's peak bounds ($(Format-Figure (& $mib ($bigRows.peakRssBytes - $baseRows.peakRssBytes))) MiB above the 1× run's)."
        $record.notes += "Peak RSS is VmHWM of the evaluating pwsh (warm-up included); its RSS just before the measured call was $(Format-Figure (& $mib $base.rssBeforeBytes)) MiB ($items items) and $(Format-Figure (& $mib $big.rssBeforeBytes)) MiB ($scaled items). Answer books: $items entries per model at $items items, $scaled at $scaled."
    }

    Invoke-Case 'B3' 'model folder upload' {
        param($record)
        $record.settings = [ordered]@{ bytes = $Sizes.B3Bytes; shards = $Sizes.B3Shards; rssLimitBytes = $B3RssLimitBytes }
        Set-EndpointKnobs
        $clock = [System.Diagnostics.Stopwatch]::StartNew()
        $folder = (New-BedrockSampleModel -Path (Join-Path $Work 'upload-model') -ShardCount $Sizes.B3Shards -SizeBytes $Sizes.B3Bytes).FullName
        $bytes = (Get-ChildItem $folder -File -Recurse | Measure-Object Length -Sum).Sum
        $record.settings.folderBytes = $bytes
        $record.settings.generateSeconds = [math]::Round($clock.Elapsed.TotalSeconds, 1)

        $mbps = { param($run) if ($run) { $run.bytes / 1e6 / $run.seconds } }
        Sync-Disk
        $ours = Invoke-PwshCase -What 'B3 Copy-BedrockModelSource' -Script 'Measure-Copy.ps1' -Parameters @{
            Folder = $folder; Destination = 's3://bench-upload-ours/model/' }
        $record.runs['ours'] = $ours
        if ($ours.bytes -ne $bytes) { throw "Copy-BedrockModelSource copied $($ours.bytes) of $bytes bytes." }

        $tu = Invoke-Peer $record 'AWSSDK.S3 TransferUtility' {
            if (-not $script:TransferUtilityDll) {
                $project = Join-Path $BenchRoot 'TransferUtilityPeer/TransferUtilityPeer.csproj'
                $null = Invoke-BenchProcess -What 'dotnet build TransferUtilityPeer' -FilePath 'dotnet' -ArgumentList @('build', $project, '-c', 'Release', '--nologo', '-v', 'quiet')
                $script:TransferUtilityDll = Join-Path $BenchRoot 'TransferUtilityPeer/bin/Release/net10.0/TransferUtilityPeer.dll'
            }
            Sync-Disk
            Invoke-PeerCase -What 'B3 TransferUtility' -FilePath 'dotnet' -ArgumentList @($script:TransferUtilityDll, $EndpointFile, $folder, 'bench-upload-transferutility', 'model/')
        }
        $js = Invoke-Peer $record '@aws-sdk/lib-storage' {
            Sync-Disk
            Invoke-JsPeer -What 'B3 lib-storage' -Script 'upload.mjs' -Options ([ordered]@{ folder = $folder; bucket = 'bench-upload-js'; prefix = 'model/' })
        }
        $cli = Invoke-Peer $record 'aws s3 cp --recursive' {
            Sync-Disk
            Invoke-PeerCase -What 'B3 aws s3 cp' -FilePath 'python3' -ArgumentList @((Join-Path $BenchRoot 'awscli/upload.py'), $EndpointFile, $folder, 'bench-upload-awscli', 'model/')
        }
        if ($cli) {
            # The CLI is measured as a whole process; its start-up (measured apart, a listing) comes off, as the other
            # clients are measured around the upload only.
            $record.runs['aws s3 cp --recursive (whole process)'] = [ordered]@{ seconds = $cli.seconds; cpuMs = $cli.cpuMs }
            $cli = [pscustomobject]@{ files = $cli.files; bytes = $cli.bytes; seconds = $cli.seconds - $cli.startupSeconds
                cpuMs = $cli.cpuMs - $cli.startupCpuMs; peakRssBytes = $cli.peakRssBytes }
        }
        foreach ($peer in @($tu, $js, $cli)) {
            if ($peer -and $peer.bytes -ne $bytes) { throw "A peer uploaded $($peer.bytes) of $bytes bytes." }
        }

        $oursMbps = & $mbps $ours
        $cpuPerGB = { param($run) if ($run) { $run.cpuMs / 1000 / ($run.bytes / 1e9) } }
        $peers = @(@{ Name = 'AWSSDK.S3 TransferUtility'; Run = $tu }, @{ Name = '@aws-sdk/lib-storage'; Run = $js }, @{ Name = 'aws s3 cp --recursive'; Run = $cli }) |
            Where-Object { $_.Run }
        foreach ($peer in $peers) {
            $record.rows += New-Row -Metric 'upload throughput' -Unit 'MB/s' -Ours $oursMbps -PeerName $peer.Name -Peer (& $mbps $peer.Run)
        }
        $best = $peers | Sort-Object { & $mbps $_.Run } -Descending | Select-Object -First 1
        $rssOk = $ours.peakRssBytes -le $B3RssLimitBytes
        $throughputRow = New-Row -Metric 'upload throughput vs best peer' -Unit 'MB/s' -Ours $oursMbps -PeerName $(if ($best) { $best.Name } else { 'no peer ran' }) `
            -Peer $(if ($best) { & $mbps $best.Run }) -Target '≥ 1.1× at ≤ 256 MiB RSS' -Better Higher -Goal 1.1
        if ($null -ne $throughputRow.met) { $throughputRow.met = $throughputRow.met -and $rssOk }
        $record.rows += $throughputRow
        foreach ($peer in $peers) {
            $record.rows += New-Row -Metric 'CPU per GB uploaded' -Unit 'CPU s/GB' -Ours (& $cpuPerGB $ours) -PeerName $peer.Name -Peer (& $cpuPerGB $peer.Run)
        }
        $leanest = $peers | Sort-Object { & $cpuPerGB $_.Run } | Select-Object -First 1
        $record.rows += New-Row -Metric 'CPU per GB uploaded vs leanest peer' -Unit 'CPU s/GB' -Ours (& $cpuPerGB $ours) `
            -PeerName $(if ($leanest) { $leanest.Name } else { 'no peer ran' }) -Peer $(if ($leanest) { & $cpuPerGB $leanest.Run }) -Target '≤ 1.0×' -Better Lower -Goal 1.0
        foreach ($peer in $peers) {
            $record.rows += New-Row -Metric 'peak RSS' -Unit 'MiB' -Ours ($ours.peakRssBytes / 1MB) -PeerName $peer.Name -Peer ($peer.Run.peakRssBytes / 1MB)
        }
        $record.rows += New-Row -Metric 'peak RSS vs limit' -Unit 'MiB' -Ours ($ours.peakRssBytes / 1MB) -PeerName 'limit' -Peer ($B3RssLimitBytes / 1MB) `
            -Target '≤ 1.0×' -Better Lower -Goal 1.0
        if ($null -ne $ours.jitMs) {
            # Where our CPU goes: the JIT's compile time is a cost of a fresh process, not of the bytes; the peers' runtimes
            # (CPython, V8, a dotnet process of its own) pay theirs differently, so this row has no peer.
            $record.rows += New-Row -Metric 'CPU per GB uploaded without JIT compile time (ours only)' -Unit 'CPU s/GB' `
                -Ours ((($ours.cpuMs - $ours.jitMs) / 1000) / ($ours.bytes / 1e9))
            $record.notes += "Our copy's JIT: $(Format-Figure ($ours.jitMs / 1000)) s compiling $($ours.jitMethods) methods during the copy (System.Runtime.JitInfo, all threads), $(Format-Figure ($ours.tieredJitThreadCpuMs / 1000)) CPU s of it on the runtime's background tiered-compilation thread, of $(Format-Figure ($ours.cpuMs / 1000)) CPU s in all."
        }
        $record.notes += "Peak RSS is of the whole process: our pwsh had $(Format-Figure ($ours.baselineRssBytes / 1MB)) MiB before the copy began. RSS is VmHWM in MiB."
        $record.notes += "CPU seconds: " + ((@("ours $(Format-Figure ($ours.cpuMs / 1000))") + @($peers | ForEach-Object { "$($_.Name) $(Format-Figure ($_.Run.cpuMs / 1000))" })) -join ', ') + '.'
        if ($record.runs['aws s3 cp --recursive (whole process)']) {
            $whole = $record.runs['aws s3 cp --recursive (whole process)']
            $record.notes += "aws s3 cp --recursive (AWS CLI v1 defaults, its own python3 process): $(Format-Figure $whole.seconds) s and $(Format-Figure ($whole.cpuMs / 1000)) CPU s as a whole process; its rows take off the start-up measured apart (aws s3 ls of the buckets)."
        }
    }

    Invoke-Case 'B4' 'Hub → S3 copy' {
        param($record)
        $record.settings = [ordered]@{ bytes = $Sizes.B3Bytes; shards = $Sizes.B3Shards; source = 'the local endpoint''s Hugging Face Hub mirror' }
        Set-EndpointKnobs
        # The Hub mirror serves DATA/hub/<org>/<name>/: the B3 folder becomes the repository (moved, not copied).
        $repo = Join-Path $Endpoint.DataPath 'hub/bench/model'
        $b3Folder = Join-Path $Work 'upload-model'
        New-Item -ItemType Directory -Path (Split-Path $repo) -Force | Out-Null
        if (Test-Path $b3Folder) { Move-Item $b3Folder $repo }
        else { $null = New-BedrockSampleModel -Path $repo -ShardCount $Sizes.B3Shards -SizeBytes $Sizes.B3Bytes }
        $bytes = (Get-ChildItem $repo -File -Recurse | Where-Object { -not $_.Name.StartsWith('.') } | Measure-Object Length -Sum).Sum
        Sync-Disk
        $ours = Invoke-PwshCase -What 'B4 Copy-BedrockModelSource -HuggingFaceModel' -Script 'Measure-Copy.ps1' -Parameters @{
            HuggingFaceModel = 'bench/model'; Destination = 's3://bench-hub/model/' }
        $record.runs['ours'] = $ours
        if ($ours.bytes -ne $bytes) { throw "Copy-BedrockModelSource -HuggingFaceModel copied $($ours.bytes) of $bytes bytes." }
        $hubMbps = $ours.bytes / 1e6 / $ours.seconds
        $b3 = $Cases | Where-Object id -eq 'B3' | Select-Object -First 1
        $b3Mbps = if ($b3 -and $b3.runs['ours']) { $b3.runs['ours'].bytes / 1e6 / $b3.runs['ours'].seconds }
        $record.rows += New-Row -Metric 'Hub → S3 throughput vs B3 (local folder → S3)' -Unit 'MB/s' -Ours $hubMbps -PeerName 'B3, ours' -Peer $b3Mbps `
            -Target '≥ 0.95×' -Better Higher -Goal 0.95
        $record.rows += New-Row -Metric 'peak RSS' -Unit 'MiB' -Ours ($ours.peakRssBytes / 1MB)
        $record.rows += New-Row -Metric 'bytes written to local disk by our process' -Unit 'bytes' -Ours $ours.diskWriteBytes -PeerName 'target' -Peer 0 -Target '0' `
            -Met $(if ($null -ne $ours.diskWriteBytes) { $ours.diskWriteBytes -eq 0 })
        $record.notes += 'Disk writes are /proc/self/io write_bytes of the copying pwsh (the endpoint, which stores the S3 objects, is another process).'
    }

    Invoke-Case 'B8' 'CPU inference decode vs memory bandwidth' {
        param($record)
        # The model is written once and kept under out/ (b8-stamp.json says which shape and seed it holds).
        $folder = Join-Path (Split-Path $BenchRoot) 'out/bench/b8-llama-3.2-1b-shaped'
        $record.settings = [ordered]@{ model = 'synthetic Llama-3.2-1B shape, bf16, tied embeddings'; folder = $folder
            promptTokens = $Sizes.B8PromptTokens; decodeTokens = $Sizes.B8DecodeTokens }
        $project = Join-Path $BenchRoot 'InferenceBench/InferenceBench.csproj'
        $null = Invoke-BenchProcess -What 'dotnet build InferenceBench' -FilePath 'dotnet' -ArgumentList @('build', $project, '-c', 'Release', '--nologo', '-v', 'quiet')
        $dll = Join-Path $BenchRoot 'InferenceBench/bin/Release/net10.0/InferenceBench.dll'
        $written = Invoke-PeerCase -What 'B8 write model' -FilePath 'dotnet' -ArgumentList @($dll, 'write', $folder)
        $record.runs['write'] = $written
        $ours = Invoke-PeerCase -What 'B8 measure' -FilePath 'dotnet' -ArgumentList @($dll, 'measure', $folder,
            '--prompt', [string] $Sizes.B8PromptTokens, '--decode', [string] $Sizes.B8DecodeTokens)
        $record.runs['ours'] = $ours
        $mib = { param($bytes) $bytes / 1MB }
        $record.rows += New-Row -Metric 'decode tokens/s vs memory-bandwidth limit' -Unit 'tokens/s' -Ours $ours.decodeTokensPerSecond `
            -PeerName 'limit (read rate ÷ weight bytes per token)' -Peer $ours.limitTokensPerSecond -Target '≥ 0.6×' -Better Higher -Goal 0.6
        $record.rows += New-Row -Metric "decode tokens/s vs the limit of the same moment (median of $(@($ours.pairedDecodeVsLimit).Count) rounds of a read pass then one step)" -Unit 'tokens/s' `
            -Ours $ours.pairedDecodeTokensPerSecondMedian -PeerName 'limit in the same rounds, median' -Peer $ours.pairedLimitTokensPerSecondMedian `
            -Target '≥ 0.6×' -Better Higher -Goal 0.6
        $record.rows += New-Row -Metric "prefill tokens/s ($($ours.promptTokens)-token prompt)" -Unit 'tokens/s' -Ours $ours.prefillTokensPerSecond
        $record.rows += New-Row -Metric 'time to first token' -Unit 'ms' -Ours $ours.timeToFirstTokenMs
        $record.rows += New-Row -Metric 'peak RSS vs weight bytes' -Unit 'MiB' -Ours (& $mib $ours.peakRssBytes) -PeerName 'weights (model.safetensors)' `
            -Peer (& $mib $ours.weightFileBytes) -Target '≤ 1.2×' -Better Lower -Goal 1.2
        $record.rows += New-Row -Metric 'sequential read rate over the mapped weights, best pass' -Unit 'MB/s' -Ours ($ours.readBytesPerSecond / 1e6)
        $record.notes += "Load average in the measuring process: $($ours.loadAverageBefore) before, $($ours.loadAverageAfter) after (on $($ours.processorCount) CPUs; compare runs at similar load)."
        $passes = { param($rates) (@($rates) | ForEach-Object { Format-Figure ($_ / 1e6) }) -join ', ' }
        $record.notes += "The limit is the best read pass ($(Format-Figure ($ours.readBytesPerSecond / 1e6)) MB/s; median of the all-core passes $(Format-Figure ($ours.readBytesPerSecondMedian / 1e6))) over the $(Format-Figure ($ours.weightBytesPerToken / 1e6)) MB a decode step reads (every matrix once, lm_head being the tied embeddings, plus one embedding row). Passes sum the model's own mapping in 1 MiB chunks after a fault-in pass: all cores before the generation $(& $passes $ours.readPassesBefore), after it $(& $passes $ours.readPassesAfter), one core $(& $passes $ours.readPassesSingleThread) MB/s."
        $record.notes += "Paired rounds (a read pass, then one decode step): step ÷ limit per round $((@($ours.pairedDecodeVsLimit) | ForEach-Object { Format-Figure $_ }) -join ', '), median $(Format-Figure $ours.pairedDecodeVsLimitMedian) (the row's ratio is of the medians)."
        $record.notes += "Decode: $($ours.decodeSteps) steps after the first token, step median $(Format-Figure $ours.decodeStepMsMedian) ms (min $(Format-Figure $ours.decodeStepMsMin), max $(Format-Figure $ours.decodeStepMsMax)); the generation used $(Format-Figure $ours.generationCpuSeconds) CPU s in $(Format-Figure $ours.generationSeconds) s. Time to first token is the prefill of the prompt plus the first sampled token, after a warm-up generation and 1 s of settling. $(if ($written.reused) { 'The model folder was reused.' } else { "The model was written in $(Format-Figure $written.seconds) s." })"
        $record.notes += "Peak RSS is VmHWM of the measuring process; at the end it held $(Format-Figure (& $mib $ours.rssFileBytes)) MiB of mapped file pages and $(Format-Figure (& $mib $ours.rssAnonBytes)) MiB anonymous."
    }

    Invoke-Case 'B9' 'Ctrl+C: time to return control, nothing orphaned' {
        param($record)
        $gap = Get-InvokeGap @('ModelId', 'Prompt', 'MaxTokens', 'ThrottleLimit', 'Stream')
        if ($gap) { throw "not measurable: $gap" }
        $null = Get-BenchModelArn
        $record.settings = [ordered]@{ tries = $Sizes.B9Tries; stop = '[PowerShell]::Stop() (what the console host does on Ctrl+C), after the work is under way and a random 0-500 ms'
            copy = 'Copy-BedrockModelSource of 2 × 24 MiB files, every UploadPart held 3 s'; wait = 'Wait-BedrockImportJob -PollingIntervalSec 1 on a job that takes an hour'
            stream = 'Invoke-ImportedModel -Stream, 200 tokens 50 ms apart'; batch = '200 prompts piped into Invoke-ImportedModel -ThrottleLimit 4, each InvokeModel held 200 ms' }
        try {
            $ours = Invoke-PwshCase -What 'B9 stops' -Script 'Measure-Stop.ps1' -Parameters @{ Tries = $Sizes.B9Tries }
        }
        finally {
            Set-EndpointKnobs
        }
        $record.runs['ours'] = $ours
        $names = [ordered]@{ copy = 'Copy-BedrockModelSource'; wait = 'Wait-BedrockImportJob'; stream = 'Invoke-ImportedModel -Stream'; batch = 'piped batch into Invoke-ImportedModel' }
        foreach ($key in $names.Keys) {
            $operation = $ours.operations.$key
            $record.rows += New-Row -Metric "$($names[$key]): Stop() to return, p99 of $($operation.tries)" -Unit 'ms' -Ours $operation.stopMsP99 `
                -PeerName 'target' -Peer 1000 -Target '< 1 s' -Better Lower -Goal 1.0 -Met ($operation.stopMsP99 -lt 1000)
            $orphaned = $operation.triesWithRequestsAfterStop + $operation.triesWithConnectionsLeftOpen + $operation.triesWithOpenUploads
            if ($key -eq 'copy' -and $null -ne $operation.openUploadsAtEnd) { $orphaned += $operation.openUploadsAtEnd }
            $record.rows += New-Row -Metric "$($names[$key]): tries that left something behind" -Unit 'tries' -Ours $orphaned `
                -PeerName 'target' -Peer 0 -Target '0' -Met ($orphaned -eq 0)
            $record.notes += "$($names[$key]): median $(Format-Figure $operation.stopMsP50) ms, max $(Format-Figure $operation.stopMsMax) ms; tries with a request after the stop $($operation.triesWithRequestsAfterStop), with more connections to the endpoint open than before $($operation.triesWithConnectionsLeftOpen)$(if ($key -eq 'copy') { ", with a multipart upload left open $($operation.triesWithOpenUploads) (and $($operation.openUploadsAtEnd) open at the end of the run)" })."
        }
        $record.notes += 'Copy-BedrockModelSource aborts the multipart uploads it created when it is stopped (a rerun resumes only uploads left by a process that was killed).'
    }

    Invoke-Case 'B10' 'soak: 64 concurrent clients mixing streams, invokes, uploads and list calls' {
        param($record)
        . (Join-Path $BenchRoot 'Soak/Soak.ps1')
        Set-EndpointKnobs -Bedrock @{ importDurationMs = 100 }
        $modelArn = Import-SoakModel -Endpoint $Endpoint -Folder $Work
        $record.settings = [ordered]@{ clients = $Sizes.B10Clients; seconds = $Sizes.B10Seconds; warmupSeconds = $Sizes.B10WarmupSeconds
            maxSlopeMiBPerMinute = $Sizes.B10MaxSlopeMiBPerMinute }
        $run = Invoke-SoakDriver -Endpoint $Endpoint -ModelArn $modelArn -ResultPath (Join-Path $Work 'soak.json') -Clients $Sizes.B10Clients `
            -Seconds $Sizes.B10Seconds -WarmupSeconds $Sizes.B10WarmupSeconds -MaxSlopeMiBPerMinute $Sizes.B10MaxSlopeMiBPerMinute
        Set-EndpointKnobs
        if (-not $run.Result) { throw "The soak wrote no result (exit code $($run.ExitCode)): $($run.Errors)" }
        $soak = $run.Result
        $record.runs['ours'] = $soak
        $invariantOf = { param($name) $soak.invariants | Where-Object name -eq $name }
        $record.rows += New-Row -Metric 'requests served' -Unit 'requests/s' -Ours $soak.totals.requestsPerSecond
        $record.rows += New-Row -Metric "requests lost (of $($soak.totals.sent))" -Unit 'requests' -Ours $soak.totals.lost -Target '0' -Met ($soak.totals.lost -eq 0)
        $record.rows += New-Row -Metric 'requests answered twice' -Unit 'requests' -Ours $soak.totals.duplicated -Target '0' -Met ($soak.totals.duplicated -eq 0)
        $record.rows += New-Row -Metric "answers not their request's" -Unit 'answers' -Ours $soak.totals.mismatched -Target '0' -Met ($soak.totals.mismatched -eq 0)
        $record.rows += New-Row -Metric "error answers not asked for by the fault knobs ($($soak.totals.injectedFaults) injected)" -Unit 'answers' `
            -Ours ($soak.totals.httpErrors - $soak.totals.injectedFaults) -Target '0' -Met ((& $invariantOf 'onlyInjectedErrors').passed)
        $record.rows += New-Row -Metric "multipart uploads not accounted for (of $($soak.uploads.started): $($soak.uploads.completed) completed, $($soak.uploads.aborted) aborted)" `
            -Unit 'uploads' -Ours ($soak.uploads.started - $soak.uploads.verified - $soak.uploads.aborted + $soak.uploads.listedAtEnd) -Target '0' `
            -Met ((& $invariantOf 'uploadsAccounted').passed)
        foreach ($operation in 'bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream', 'bedrock:Converse', 'bedrock:ConverseStream', 's3:UploadPart', 's3:ListObjectsV2') {
            $figures = $soak.requests.$operation
            $record.rows += New-Row -Metric "$operation latency p50 (p99 $(Format-Figure $figures.p99Ms) ms; $($figures.sent) requests)" -Unit 'ms' -Ours $figures.p50Ms
        }
        $memory = $soak.memory
        $record.rows += New-Row -Metric 'endpoint RSS after warm-up' -Unit 'MiB' -Ours $memory.warmupRssMiB
        $record.rows += New-Row -Metric 'endpoint RSS at the end' -Unit 'MiB' -Ours $memory.endRssMiB
        $record.rows += New-Row -Metric "endpoint RSS slope after warm-up (max $(Format-Figure $memory.maxRssMiB) MiB)" -Unit 'MiB/min' -Ours $memory.slopeMiBPerMinute `
            -Target "≤ $($Sizes.B10MaxSlopeMiBPerMinute) MiB/min" -Met ((& $invariantOf 'rssFlat').passed)
        $record.rows += New-Row -Metric "endpoint live heap growth after warm-up ($(Format-Figure $memory.liveHeapAfterWarmupMiB) → $(Format-Figure $memory.liveHeapAtEndMiB) MiB)" `
            -Unit 'bytes/request' -Ours $memory.liveHeapGrowthBytesPerRequest -Target '≤ 8 MiB + 64 B/request' -Met ((& $invariantOf 'heapFlat').passed)
        $record.notes += "The soak (bench/Soak) ran $($soak.totals.sent) requests in $($soak.runSeconds) s: a warm-up of $($Sizes.B10WarmupSeconds) s, a pause, then the measured run; the endpoint used $(Format-Figure $memory.endpointCpuSeconds) CPU s. Live heap is after a full collection at the two pauses (GET /_admin/memory?collect=true). Failed invariants: $(@($soak.invariants | Where-Object { -not $_.passed } | ForEach-Object { "$($_.name) ($($_.detail))" }) -join '; ')$(if (-not @($soak.invariants | Where-Object { -not $_.passed })) { 'none' })."
        if ($run.ExitCode -ne 0) { throw "soak invariants failed: $(@($soak.invariants | Where-Object { -not $_.passed } | ForEach-Object name) -join ', ')" }
    }
}
finally {
    if ($Endpoint) {
        try { Stop-BedrockLocalEndpoint -ProcessId $Endpoint.ProcessId } catch { Write-Warning "Stopping the endpoint: $($_.Exception.Message)" }
    }
    Remove-Item $Work -Recurse -Force -ErrorAction SilentlyContinue
}

# Targets shown on rows of cases that did not run.
foreach ($record in $Cases) {
    $record.target = switch ($record.id) {
        'B1' { '≥ 0.9× ideal, ≥ 1.0× JS SDK' }
        'B2' { '≤ 1.0× JS SDK' }
        'B3' { '≥ 1.1× best peer at ≤ 256 MiB RSS, CPU/GB ≤ 1.0× leanest peer' }
        'B4' { '≥ 0.95× B3, 0 bytes to disk' }
        'B7' { '≥ 0.9× ideal; peak RSS at 4× items ≤ 1.1× of 1×' }
        'B8' { '≥ 0.6× memory-bandwidth limit; peak RSS ≤ 1.2× weights' }
        'B5' { 'first cmdlet ≤ 150 ms' }
        'B6' { 'CPU per streamed call ≤ 1.0× JS SDK' }
        'B9' { '< 1 s at p99, nothing orphaned' }
        'B10' { '0 lost, 0 answered twice, every upload accounted for, memory flat after warm-up' }
        default { 'none set (reported)' }
    }
}
Write-Results $OutputDirectory
if (@($Cases | Where-Object status -eq 'failed').Count -gt 0) { exit 1 }
