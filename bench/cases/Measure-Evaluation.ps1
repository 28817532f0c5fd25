<#
.SYNOPSIS
    B7 for Invoke-ImportedModelEvaluation, in one fresh pwsh after a warm-up: scores a JCommonsenseQA-shaped JSON Lines
    file on the given models at -ThrottleLimit Concurrency, and reports the rate, this process's CPU time and peak RSS,
    the endpoint process's CPU time over the same span, and each model's summary (so the harness can check that the
    planted share of right answers was measured).
    -RowsPath: the cmdlet's -ResultPath (per-item rows in JSON Lines, flushed one at a time); the warm-up then writes
    its own rows file too, so the store's code is warm as well.
#>
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $EndpointFile,
    [Parameter(Mandatory)] [string] $ResultPath,
    [Parameter(Mandatory)] [string] $DatasetPath,
    # Comma-separated: the models every item is put to.
    [Parameter(Mandatory)] [string] $Models,
    [int] $Concurrency = 16,
    [string] $WarmupPath = '',
    [string] $RowsPath = '',
    # The local endpoint's process, whose CPU time over the measured span is reported too (0: not measured).
    [int] $EndpointProcessId = 0
)
. (Join-Path $PSScriptRoot 'Common.ps1')
$endpoint = Read-BenchEndpoint $EndpointFile
$aws = Get-EndpointParameters $endpoint
Import-Module $ModulePath

$modelIds = [string[]] ($Models -split ',')
$evaluate = @{ ModelId = $modelIds; ThrottleLimit = $Concurrency }

function Get-RssBytes {
    $line = Select-String -Path '/proc/self/status' -Pattern '^VmRSS:\s+(\d+)\s+kB' | Select-Object -First 1
    if ($line) { [long] $line.Matches[0].Groups[1].Value * 1024 } else { $null }
}

function Get-EndpointCpuMilliseconds {
    if ($EndpointProcessId -le 0) { return $null }
    try { [System.Diagnostics.Process]::GetProcessById($EndpointProcessId).TotalProcessorTime.TotalMilliseconds } catch { $null }
}

if ($WarmupPath) {
    $warmupRows = if ($RowsPath) { @{ ResultPath = "$RowsPath.warmup.jsonl" } } else { @{} }
    $null = Invoke-ImportedModelEvaluation @aws @evaluate -Path $WarmupPath @warmupRows
    # Lets the runtime's background work after the warm-up (tiered JIT, GC) finish outside the measured CPU time.
    Start-Sleep -Milliseconds 1000
}
$rows = if ($RowsPath) { @{ ResultPath = $RowsPath } } else { @{} }

$rssBefore = Get-RssBytes
$gcBefore = @(0..2 | ForEach-Object { [GC]::CollectionCount($_) })
$endpointCpuBefore = Get-EndpointCpuMilliseconds
$allocatedBefore = [GC]::GetTotalAllocatedBytes($false)
$cpuBefore = Get-CpuMilliseconds
$threadsBefore = Get-ThreadCpuMilliseconds
$clock = [System.Diagnostics.Stopwatch]::StartNew()
$out = @(Invoke-ImportedModelEvaluation @aws @evaluate -Path $DatasetPath @rows)
$seconds = $clock.Elapsed.TotalSeconds
$cpuMs = (Get-CpuMilliseconds) - $cpuBefore
$threadsAfter = Get-ThreadCpuMilliseconds
$threadCpuMs = [ordered]@{}
foreach ($name in $threadsAfter.Keys | Sort-Object) {
    $spent = $threadsAfter[$name] - [double] $threadsBefore[$name]
    if ($spent -gt 0) { $threadCpuMs[$name] = $spent }
}
$endpointCpuAfter = Get-EndpointCpuMilliseconds
$allocatedBytes = [GC]::GetTotalAllocatedBytes($false) - $allocatedBefore
$gcCollections = @(0..2 | ForEach-Object { [GC]::CollectionCount($_) - $gcBefore[$_] })
$gcInfo = [GC]::GetGCMemoryInfo()
# What of the peak is live: the managed heap as the run left it, and what survives a full collection (the summaries
# are still referenced). A peak that grows with the items while the live heap does not is garbage no collection needed yet.
$heapAfterBytes = [GC]::GetTotalMemory($false)
$liveHeapBytes = [GC]::GetTotalMemory($true)

$summaries = @($out | Where-Object { $_.PSObject.TypeNames[0] -like '*ModelSummary' })
if ($summaries.Count -ne $modelIds.Count) {
    throw "Invoke-ImportedModelEvaluation wrote $($summaries.Count) summaries for $($modelIds.Count) models."
}
$items = [long] $summaries[0].Items
$requests = [long] ($summaries | Measure-Object Items -Sum).Sum
$rowsWritten = if ($RowsPath) { @(Get-Content $RowsPath -Encoding utf8 | Where-Object { $_.Trim() }).Count } else { $null }

$result = [ordered]@{
    items = $items
    requests = $requests
    concurrency = $Concurrency
    seconds = $seconds
    requestsPerSecond = $requests / $seconds
    itemsPerSecond = $items / $seconds
    cpuMs = $cpuMs
    cpuMsPerRequest = $cpuMs / $requests
    threadCpuMs = $threadCpuMs
    endpointCpuMs = if ($null -ne $endpointCpuBefore -and $null -ne $endpointCpuAfter) { $endpointCpuAfter - $endpointCpuBefore } else { $null }
    rssBeforeBytes = $rssBefore
    allocatedBytesPerRequest = $allocatedBytes / $requests
    gcCollections = $gcCollections
    gcCommittedBytes = $gcInfo.TotalCommittedBytes
    heapAfterBytes = $heapAfterBytes
    liveHeapBytes = $liveHeapBytes
    rowsPath = [bool] $RowsPath
    rowsWritten = $rowsWritten
    summaries = @($summaries | ForEach-Object {
            [ordered]@{ model = $_.Model; items = $_.Items; correct = $_.Correct; accuracy = $_.Accuracy; unparsed = $_.Unparsed
                meanLatencyMs = $_.MeanLatencyMs; p50LatencyMs = $_.P50LatencyMs; p95LatencyMs = $_.P95LatencyMs }
        })
}
if ($null -ne $result.endpointCpuMs) { $result.endpointCpuMsPerRequest = $result.endpointCpuMs / $requests }
Write-BenchResult $ResultPath $result
