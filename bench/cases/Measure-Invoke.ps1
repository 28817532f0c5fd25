<#
.SYNOPSIS
    B1, B2 and B6 for Invoke-ImportedModel, in one fresh pwsh after a warm-up.
    throughput (B1): Count prompts piped in with -ThrottleLimit Concurrency.
    sequential (B2): Count prompts piped in with -ThrottleLimit 1; CPU time of this process per call.
    stream     (B6): Count prompts piped in with -Stream -ThrottleLimit 1; FirstTokenMs against the endpoint's own
                     firstByteLatency (invocation metrics of the last chunk).
    -Api Converse: the same through Invoke-ImportedModel -Api Converse against the endpoint file's converseModelArn (an
                   imported model with a chat template). ConverseStream carries no firstByteLatency, so a Converse stream
                   takes AssumedEndpointFirstTokenMs as the endpoint's first-token time.
#>
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $EndpointFile,
    [Parameter(Mandatory)] [string] $ResultPath,
    [Parameter(Mandatory)] [ValidateSet('throughput', 'sequential', 'stream')] [string] $Mode,
    [Parameter(Mandatory)] [int] $Count,
    [int] $Concurrency = 1,
    [int] $MaxTokens = 16,
    [int] $Warmup = 0,
    # stream: the endpoint's first-token time to use when the answers carry no invocation metrics.
    [double] $AssumedEndpointFirstTokenMs = 0,
    [ValidateSet('InvokeModel', 'Converse')] [string] $Api = 'InvokeModel'
)
. (Join-Path $PSScriptRoot 'Common.ps1')
$endpoint = Read-BenchEndpoint $EndpointFile
$aws = Get-EndpointParameters $endpoint
Import-Module $ModulePath

$invoke = @{ ModelId = $endpoint.modelArn; MaxTokens = $MaxTokens; ThrottleLimit = $(if ($Mode -eq 'throughput') { $Concurrency } else { 1 }) }
if ($Mode -eq 'stream') { $invoke.Stream = $true }
# Only the Converse rows pass -Api, so the InvokeModel rows call the cmdlet exactly as before it had the parameter.
if ($Api -eq 'Converse') { $invoke.Api = 'Converse'; $invoke.ModelId = $endpoint.converseModelArn }
function New-Prompts([int] $N, [string] $Tag) {
    [string[]] (0..($N - 1) | ForEach-Object { "Benchmark prompt $Tag$($_): name a colour." })
}

if ($Warmup -gt 0) {
    $null = New-Prompts $Warmup 'w' | Invoke-ImportedModel @aws @invoke 6>$null
    # Lets the runtime's background work after the warm-up (tiered JIT, GC) finish outside the measured CPU time.
    Start-Sleep -Milliseconds 1000
}
$prompts = New-Prompts $Count ''

$threadsBefore = Get-ThreadCpuMilliseconds
$allocatedBefore = [GC]::GetTotalAllocatedBytes($false)
$cpuBefore = Get-CpuMilliseconds
$jitMethodsBefore = [System.Runtime.JitInfo]::GetCompiledMethodCount($false)
$clock = [System.Diagnostics.Stopwatch]::StartNew()
$answers = @($prompts | Invoke-ImportedModel @aws @invoke 6>$null)
$seconds = $clock.Elapsed.TotalSeconds
$cpuMs = (Get-CpuMilliseconds) - $cpuBefore
# Methods the JIT compiled during the calls (new ones and the tiered recompilations of hot ones), all threads.
$jitMethods = [System.Runtime.JitInfo]::GetCompiledMethodCount($false) - $jitMethodsBefore
$allocatedBytes = [GC]::GetTotalAllocatedBytes($false) - $allocatedBefore
$threadsAfter = Get-ThreadCpuMilliseconds
$threadCpuMs = [ordered]@{}
foreach ($name in $threadsAfter.Keys | Sort-Object) {
    $spent = $threadsAfter[$name] - [double] $threadsBefore[$name]
    if ($spent -gt 0) { $threadCpuMs[$name] = $spent }
}

# Background CPU of this process once the work is done (should be near 0): tells a per-call cost from a busy idle loop.
$idleBefore = Get-CpuMilliseconds
Start-Sleep -Milliseconds 1000
$idleCpuMsPerSecond = (Get-CpuMilliseconds) - $idleBefore

$answered = @($answers | Where-Object { $null -ne $_.Completion }).Count
if ($answered -ne $Count) {
    throw "Invoke-ImportedModel answered $answered of $Count prompts."
}

$result = [ordered]@{ count = $Count; concurrency = $invoke.ThrottleLimit; seconds = $seconds; callsPerSecond = $Count / $seconds; cpuMs = $cpuMs; cpuMsPerCall = $cpuMs / $Count; idleCpuMsPerSecond = $idleCpuMsPerSecond
    allocatedBytesPerCall = $allocatedBytes / $Count; jitCompiledMethods = $jitMethods; threadCpuMs = $threadCpuMs }
if ($Mode -eq 'stream') {
    $firstToken = [System.Collections.Generic.List[double]]::new()
    $endpointFirstByte = [System.Collections.Generic.List[double]]::new()
    foreach ($answer in $answers) {
        if ($null -eq $answer.FirstTokenMs) { throw 'An answer has no FirstTokenMs.' }
        $firstToken.Add($answer.FirstTokenMs)
        $metrics = @($answer.Raw) | Where-Object { $_ -is [System.Collections.IDictionary] -and $_.Contains('amazon-bedrock-invocationMetrics') } | Select-Object -Last 1
        if ($metrics -and $Api -eq 'InvokeModel') { $endpointFirstByte.Add($metrics['amazon-bedrock-invocationMetrics']['firstByteLatency']) }
    }
    $result.endpointFirstByteSource = 'invocation metrics'
    if ($endpointFirstByte.Count -ne $firstToken.Count) {
        $result.endpointFirstByteSource = 'assumed'
        $endpointFirstByte = [System.Collections.Generic.List[double]]::new()
        foreach ($value in $firstToken) { $endpointFirstByte.Add($AssumedEndpointFirstTokenMs) }
    }
    $overheads = for ($i = 0; $i -lt $firstToken.Count; $i++) { $firstToken[$i] - $endpointFirstByte[$i] }
    $result.firstTokenMsMedian = Get-Median $firstToken
    $result.endpointFirstByteMsMedian = Get-Median $endpointFirstByte
    $result.overheadMsMedian = Get-Median $overheads
}
Write-BenchResult $ResultPath $result
