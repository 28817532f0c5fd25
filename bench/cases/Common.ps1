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
