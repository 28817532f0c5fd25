# Dot-sourced by the measuring scripts; each runs in its own fresh pwsh so its CPU time and peak RSS are its own.
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
Set-StrictMode -Version 3.0

# The harness's endpoint file: endpointUrl, region, accessKey, secretKey (the endpoint's test pair) and modelArn.
function Read-BenchEndpoint([string] $Path) {
    Get-Content $Path -Raw | ConvertFrom-Json
}

# Parameters that point a BedrockImport cmdlet at the endpoint.
function Get-EndpointParameters($Endpoint) {
    @{
        EndpointUrl = $Endpoint.endpointUrl
        Region      = $Endpoint.region
        AccessKey   = $Endpoint.accessKey
        SecretKey   = $Endpoint.secretKey
    }
}

# Peak resident set of this process in bytes (VmHWM), read the same way by every peer.
function Get-PeakRssBytes {
    $line = Select-String -Path '/proc/self/status' -Pattern '^VmHWM:\s+(\d+)\s+kB' | Select-Object -First 1
    if ($line) { [long] $line.Matches[0].Groups[1].Value * 1024 } else { $null }
}

function Get-CpuMilliseconds {
    [System.Diagnostics.Process]::GetCurrentProcess().TotalProcessorTime.TotalMilliseconds
}

function Write-BenchResult([string] $Path, [System.Collections.IDictionary] $Result) {
    $Result['peakRssBytes'] = Get-PeakRssBytes
    [pscustomobject] $Result | ConvertTo-Json -Depth 5 -Compress | Set-Content -Path $Path -Encoding utf8NoBOM
}

function Get-Median([double[]] $Values) {
    if (-not $Values -or $Values.Count -eq 0) { return $null }
    $sorted = [double[]] ($Values | Sort-Object)
    $middle = [math]::Floor($sorted.Count / 2)
    if ($sorted.Count % 2) { $sorted[$middle] } else { ($sorted[$middle - 1] + $sorted[$middle]) / 2 }
}

# CPU milliseconds of this process's threads by name (Linux: /proc/self/task/*/stat utime + stime, 15-character names
# such as '.NET TP Worker' or '.NET Tiered Com'), so the work per call or request can be told from the runtime's background JIT.
function Get-ThreadCpuMilliseconds {
    $byName = @{}
    if (-not (Test-Path '/proc/self/task')) { return $byName }
    foreach ($task in Get-ChildItem '/proc/self/task' -Directory) {
        try { $stat = [System.IO.File]::ReadAllText("$($task.FullName)/stat") } catch { continue }
        $open = $stat.IndexOf('(')
        $close = $stat.LastIndexOf(')')
        $name = $stat.Substring($open + 1, $close - $open - 1)
        # After the name: state is field 3 of stat, utime and stime fields 14 and 15, in clock ticks (100 a second on Linux).
        $fields = $stat.Substring($close + 2).Split(' ')
        $byName[$name] = [double] $byName[$name] + ([double] $fields[11] + [double] $fields[12]) * 10
    }
    $byName
}
