<#
.SYNOPSIS
    B9: how fast Ctrl+C returns control, and what it leaves behind. For each operation, Tries times: run it in a
    [PowerShell] instance of a runspace that has the module, wait until its work is under way, wait a random 0 to
    MaxDelayMs more, call Stop() (what the console host does on Ctrl+C) and time Stop() until it returns.
    Each operation first runs one warm-up try that is not counted (JIT, and the idle connections a client keeps pooled).
    After each stop it checks that nothing was orphaned:
    - no request reaches the endpoint after Stop() returned (its call counters do not move in the next SettleMs);
    - no more TCP connections of this process to the endpoint are open after SettleMs than before the try (a stopped
      stream's connection is closed, so the endpoint sees it end);
    - Copy: no multipart upload is left open (Copy-BedrockModelSource aborts the uploads it created when it is stopped).
    The operations (the endpoint's latency knobs make each slow enough to interrupt):
    copy   Copy-BedrockModelSource of a two-file folder, multipart, every UploadPart held CopyPartLatencyMs;
    wait   Wait-BedrockImportJob on an import job that takes far longer than the run;
    stream Invoke-ImportedModel -Stream, StreamTokens tokens StreamTokenLatencyMs apart (stopped after the first text);
    batch  BatchPrompts prompts piped into Invoke-ImportedModel -ThrottleLimit 4, each InvokeModel held BatchLatencyMs
           (stopped after the first answer).
#>
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $EndpointFile,
    [Parameter(Mandatory)] [string] $ResultPath,
    [int] $Tries = 20,
    [string] $Operations = 'copy,wait,stream,batch',
    [int] $MaxDelayMs = 500,
    [int] $SettleMs = 500,
    [int] $CopyPartLatencyMs = 3000,
    [int] $StreamTokenLatencyMs = 50,
    [int] $StreamTokens = 200,
    [int] $BatchPrompts = 200,
    [int] $BatchLatencyMs = 200,
    [int] $Seed = 9
)
. (Join-Path $PSScriptRoot 'Common.ps1')
$endpoint = Read-BenchEndpoint $EndpointFile
$aws = Get-EndpointParameters $endpoint
Import-Module $ModulePath
$random = [System.Random]::new($Seed)
$endpointUri = [uri] $endpoint.endpointUrl

# The admin calls of this script close their connection after each answer, so every open connection to the endpoint
# that is left after a stop belongs to the stopped operation.
$admin = [System.Net.Http.HttpClient]::new()
$admin.DefaultRequestHeaders.ConnectionClose = $true
function Invoke-Admin([string] $Method, [string] $Path, [string] $Body) {
    $request = [System.Net.Http.HttpRequestMessage]::new([System.Net.Http.HttpMethod]::new($Method), "$($endpoint.endpointUrl)$Path")
    if ($Body) { $request.Content = [System.Net.Http.StringContent]::new($Body, [System.Text.Encoding]::UTF8, 'application/json') }
    $response = $admin.SendAsync($request).GetAwaiter().GetResult()
    try {
        $text = $response.Content.ReadAsStringAsync().GetAwaiter().GetResult()
        if (-not $response.IsSuccessStatusCode) { throw "$Method $Path answered $([int] $response.StatusCode): $text" }
        if ($text) { $text | ConvertFrom-Json -AsHashtable }
    }
    finally { $response.Dispose(); $request.Dispose() }
}

$baseKnobs = (Invoke-Admin GET '/_admin/knobs')
function Set-Knobs([hashtable] $LatencyMs = @{}, [hashtable] $Bedrock = @{}) {
    $knobs = $baseKnobs | ConvertTo-Json -Depth 10 | ConvertFrom-Json -AsHashtable
    $knobs.latencyMs = $LatencyMs
    foreach ($name in $Bedrock.Keys) { $knobs.bedrock[$name] = $Bedrock[$name] }
    $null = Invoke-Admin PUT '/_admin/knobs' ($knobs | ConvertTo-Json -Depth 10)
}

function Get-CallCounts {
    $counts = @{}
    foreach ($entry in (Invoke-Admin GET '/_admin/stats').operations.GetEnumerator()) { $counts[$entry.Key] = [long] $entry.Value.calls }
    $counts
}
function Get-CallCount([hashtable] $Counts, [string] $Operation) { if ($Counts.ContainsKey($Operation)) { $Counts[$Operation] } else { 0 } }
function Get-TotalCalls([hashtable] $Counts) { ($Counts.Values | Measure-Object -Sum).Sum }

# Open TCP connections of this process to the endpoint's port (Linux: the socket inodes of /proc/self/fd matched
# against /proc/net/tcp and tcp6, state 01 ESTABLISHED). Null where /proc is not there.
function Get-OpenEndpointConnections {
    if (-not (Test-Path '/proc/self/fd')) { return $null }
    $inodes = [System.Collections.Generic.HashSet[string]]::new()
    foreach ($fd in [System.IO.Directory]::GetFiles('/proc/self/fd')) {
        $target = try { [System.IO.File]::ResolveLinkTarget($fd, $false).Name } catch { $null }
        if ($target -match '^socket:\[(\d+)\]$') { $null = $inodes.Add($Matches[1]) }
    }
    $port = '{0:X4}' -f $endpointUri.Port
    $open = 0
    foreach ($table in '/proc/net/tcp', '/proc/net/tcp6') {
        if (-not (Test-Path $table)) { continue }
        foreach ($line in [System.IO.File]::ReadAllLines($table) | Select-Object -Skip 1) {
            $fields = $line.Trim() -split '\s+'
            if ($fields[2].EndsWith(":$port") -and $fields[3] -eq '01' -and $inodes.Contains($fields[9])) { $open++ }
        }
    }
    $open
}

$session = [System.Management.Automation.Runspaces.InitialSessionState]::CreateDefault()
$session.ImportPSModule($ModulePath)
$runspace = [runspacefactory]::CreateRunspace($session)
$runspace.Open()
$runspace.SessionStateProxy.SetVariable('aws', $aws)
$runspace.SessionStateProxy.SetVariable('ProgressPreference', 'SilentlyContinue')

# Runs one try: starts $Script, waits for $UnderWay (a scriptblock given the instance and its output), a random delay,
# then Stop(). Answers the timings and what was left behind.
function Invoke-StopTry([string] $Script, [hashtable] $Arguments, [scriptblock] $UnderWay, [int] $TimeoutMs = 60000) {
    $ps = [powershell]::Create()
    $ps.Runspace = $runspace
    $null = $ps.AddScript($Script)
    foreach ($name in $Arguments.Keys) { $null = $ps.AddParameter($name, $Arguments[$name]) }
    $inputData = [System.Management.Automation.PSDataCollection[object]]::new()
    $output = [System.Management.Automation.PSDataCollection[object]]::new()
    $inputData.Complete()
    $connectionsBefore = Get-OpenEndpointConnections
    $started = [System.Diagnostics.Stopwatch]::StartNew()
    $async = $ps.BeginInvoke($inputData, $output)
    try {
        while (-not (& $UnderWay $ps $output)) {
            if ($async.IsCompleted) {
                $errors = @($ps.Streams.Error | ForEach-Object { $_.ToString() }) -join '; '
                throw "The operation ended before its work was under way (state $($ps.InvocationStateInfo.State)): $errors"
            }
            if ($started.ElapsedMilliseconds -gt $TimeoutMs) { throw "The operation's work was not under way within $TimeoutMs ms." }
            Start-Sleep -Milliseconds 10
        }
        $underWayMs = $started.Elapsed.TotalMilliseconds
        $delayMs = $random.Next(0, $MaxDelayMs + 1)
        if ($delayMs -gt 0) { Start-Sleep -Milliseconds $delayMs }
        if ($async.IsCompleted) { throw "The operation finished before it was stopped ($([math]::Round($started.Elapsed.TotalSeconds, 1)) s); make it slower." }
        $clock = [System.Diagnostics.Stopwatch]::StartNew()
        $ps.Stop()
        $stopMs = $clock.Elapsed.TotalMilliseconds
        $state = $ps.InvocationStateInfo.State
    }
    finally {
        if (-not $async.IsCompleted) { $ps.Stop() }
        $ps.Dispose()
    }

    Start-Sleep -Milliseconds 50
    $callsAtReturn = Get-TotalCalls (Get-CallCounts)
    Start-Sleep -Milliseconds $SettleMs
    $callsAfter = (Get-TotalCalls (Get-CallCounts)) - 1 # less the stats call that read the first count
    [ordered]@{
        underWayMs = $underWayMs; delayMs = $delayMs; stopMs = $stopMs; state = [string] $state
        requestsAfterStop = [math]::Max(0, $callsAfter - $callsAtReturn); connectionsBefore = $connectionsBefore; connectionsAfter = Get-OpenEndpointConnections
    }
}

function Get-Percentile([double[]] $Values, [double] $Percent) {
    $sorted = [double[]] ($Values | Sort-Object)
    $rank = [math]::Ceiling($Percent / 100 * $sorted.Count) - 1
    $sorted[[math]::Max(0, [math]::Min($sorted.Count - 1, $rank))]
}

$measured = [ordered]@{}
$copyUploadsAtEnd = $null
$selected = $Operations -split ',' | ForEach-Object { $_.Trim() } | Where-Object { $_ }
try {
    if ($selected -contains 'copy') {
        $folder = New-BedrockSampleModel -Path (Join-Path ([System.IO.Path]::GetTempPath()) "b9-copy-$PID") -ShardCount 2 -SizeBytes 48MB
        Set-Knobs -LatencyMs @{ 's3:UploadPart' = $CopyPartLatencyMs }
        $copyTries = for ($i = 0; $i -le $Tries; $i++) {
            $before = Get-CallCount (Get-CallCounts) 's3:UploadPart'
            $try = Invoke-StopTry -Script 'param($Path, $Destination) Copy-BedrockModelSource @aws -Path $Path -Destination $Destination -CreateBucket' `
                -Arguments @{ Path = $folder.FullName; Destination = "s3://bench-b9/copy-$PID-$i/" } `
                -UnderWay { (Get-CallCount (Get-CallCounts) 's3:UploadPart') -gt $before }
            $try.openUploads = @((Invoke-Admin GET '/_admin/s3/multipart-uploads').uploads |
                    Where-Object { $_.bucket -eq 'bench-b9' -and $_.key.StartsWith("copy-$PID-$i/") }).Count
            $try
        }
        $measured.copy = $copyTries
        # An upload created by a request that was in flight at the stop would show up late: look again at the end.
        Start-Sleep -Milliseconds 2000
        $copyUploadsAtEnd = @((Invoke-Admin GET '/_admin/s3/multipart-uploads').uploads |
                Where-Object { $_.bucket -eq 'bench-b9' -and $_.key.StartsWith("copy-$PID-") -and -not $_.key.StartsWith("copy-$PID-0/") }).Count
        Remove-Item $folder.FullName -Recurse -Force -ErrorAction SilentlyContinue
    }

    if ($selected -contains 'wait') {
        # An import that stays in progress for the whole run: each try waits on it and is stopped while it polls.
        Set-Knobs -Bedrock @{ importDurationMs = 3600000 }
        $folder = New-BedrockSampleModel -Path (Join-Path ([System.IO.Path]::GetTempPath()) "b9-wait-$PID") -ShardCount 1
        $job = Copy-BedrockModelSource @aws -Path $folder.FullName -Destination 's3://bench-b9/wait-model/' -CreateBucket |
            Start-BedrockModelImport @aws -ModelName "bench-b9-wait-$PID" -RoleArn 'arn:aws:iam::123456789012:role/Bench'
        Remove-Item $folder.FullName -Recurse -Force -ErrorAction SilentlyContinue
        $measured.wait = for ($i = 0; $i -le $Tries; $i++) {
            $before = Get-CallCount (Get-CallCounts) 'bedrock:GetModelImportJob'
            Invoke-StopTry -Script 'param($JobArn) Wait-BedrockImportJob @aws -JobIdentifier $JobArn -PollingIntervalSec 1 -Timeout 3600' `
                -Arguments @{ JobArn = $job.JobArn } -UnderWay { (Get-CallCount (Get-CallCounts) 'bedrock:GetModelImportJob') -gt $before }
        }
    }

    if ($selected -contains 'stream') {
        Set-Knobs -Bedrock @{ perTokenLatencyMs = $StreamTokenLatencyMs }
        $measured.stream = for ($i = 0; $i -le $Tries; $i++) {
            Invoke-StopTry -Script 'param($ModelId, $MaxTokens) Invoke-ImportedModel @aws -ModelId $ModelId -Prompt "Stop test $(Get-Random): tell a long story." -MaxTokens $MaxTokens -Stream' `
                -Arguments @{ ModelId = $endpoint.modelArn; MaxTokens = $StreamTokens } -UnderWay { param($ps) $ps.Streams.Information.Count -gt 0 }
        }
    }

    if ($selected -contains 'batch') {
        Set-Knobs -LatencyMs @{ 'bedrock:InvokeModel' = $BatchLatencyMs }
        $measured.batch = for ($i = 0; $i -le $Tries; $i++) {
            Invoke-StopTry -Script 'param($ModelId, $Count) 1..$Count | ForEach-Object { "Batch prompt $_ : name a colour." } | Invoke-ImportedModel @aws -ModelId $ModelId -MaxTokens 16 -ThrottleLimit 4' `
                -Arguments @{ ModelId = $endpoint.modelArn; Count = $BatchPrompts } -UnderWay { param($ps, $output) $output.Count -gt 0 }
        }
    }
}
finally {
    Set-Knobs
    $runspace.Dispose()
}

$summary = [ordered]@{}
foreach ($name in $measured.Keys) {
    # Try 0 of each operation is its warm-up (JIT, and the connections a client keeps pooled between calls): not counted.
    $results = @($measured[$name] | Select-Object -Skip 1)
    $stops = [double[]] ($results | ForEach-Object { $_.stopMs })
    $summary[$name] = [ordered]@{
        tries = $results.Count
        stopMsP50 = Get-Percentile $stops 50
        stopMsP99 = Get-Percentile $stops 99
        stopMsMax = ($stops | Measure-Object -Maximum).Maximum
        triesWithRequestsAfterStop = @($results | Where-Object { $_.requestsAfterStop -gt 0 }).Count
        triesWithConnectionsLeftOpen = @($results | Where-Object { $null -ne $_.connectionsAfter -and $_.connectionsAfter -gt $_.connectionsBefore }).Count
        triesWithOpenUploads = @($results | Where-Object { $_.Contains('openUploads') -and $_.openUploads -gt 0 }).Count
        tryResults = $results
    }
}
if ($summary.Contains('copy')) { $summary.copy.openUploadsAtEnd = $copyUploadsAtEnd }
Write-BenchResult $ResultPath ([ordered]@{ operations = $summary; tries = $Tries; maxDelayMs = $MaxDelayMs; settleMs = $SettleMs })
