<#
.SYNOPSIS
    B5, one sample: Import-Module time, then the time of the first cmdlet that calls AWS (Get-ImportedModel against the
    local endpoint: credential resolution, signer, HTTP client and JSON all warm up here), then the same call again.
#>
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $EndpointFile,
    [Parameter(Mandatory)] [string] $ResultPath
)
. (Join-Path $PSScriptRoot 'Common.ps1')
$endpoint = Read-BenchEndpoint $EndpointFile
$aws = Get-EndpointParameters $endpoint

$clock = [System.Diagnostics.Stopwatch]::StartNew()
Import-Module $ModulePath
$importMs = $clock.Elapsed.TotalMilliseconds

$clock.Restart()
$null = Get-ImportedModel @aws
$firstCmdletMs = $clock.Elapsed.TotalMilliseconds

$clock.Restart()
$null = Get-ImportedModel @aws
$secondCallMs = $clock.Elapsed.TotalMilliseconds

Write-BenchResult $ResultPath ([ordered]@{ importMs = $importMs; firstCmdletMs = $firstCmdletMs; secondCallMs = $secondCallMs })
