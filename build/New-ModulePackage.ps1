<#
.SYNOPSIS
    Packs the built module folder (out/BedrockImport) into a PowerShell Gallery-ready .nupkg with PSResourceGet.
.DESCRIPTION
    Checks first that the manifest carries what the Gallery shows and searches on (Description, Author, Tags,
    LicenseUri, ProjectUri, ReleaseNotes, CompatiblePSEditions, PowerShellVersion, explicit export lists) and that the
    folder carries LICENSE, then writes BedrockImport.<version>.nupkg into OutputPath with Compress-PSResource: the packer
    Publish-PSResource uses, without registering a repository or sending anything anywhere (it works offline). A user
    installs the package from a folder with Register-PSResourceRepository -Uri <folder> and Install-PSResource.
    Run in a fresh pwsh (PowerShell 7.4+, which ships PSResourceGet); prints the package's path.
#>
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $OutputPath
)

$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$manifestPath = (Resolve-Path $ModulePath).ProviderPath
$moduleFolder = Split-Path $manifestPath -Parent
$manifest = Test-ModuleManifest $manifestPath
$psData = $manifest.PrivateData.PSData

$problems = @()
foreach ($field in 'Description', 'Author') {
    if ([string]::IsNullOrWhiteSpace($manifest.$field)) { $problems += "$field is empty" }
}
foreach ($field in 'Tags', 'LicenseUri', 'ProjectUri', 'ReleaseNotes') {
    if (-not $psData -or -not $psData[$field]) { $problems += "PrivateData.PSData.$field is missing" }
}
foreach ($field in 'LicenseUri', 'ProjectUri') {
    if ($psData -and $psData[$field] -and -not ([uri]::IsWellFormedUriString($psData[$field], 'Absolute'))) { $problems += "$field '$($psData[$field])' is not an absolute URI" }
}
if (-not $manifest.CompatiblePSEditions) { $problems += 'CompatiblePSEditions is empty' }
if (-not $manifest.PowerShellVersion) { $problems += 'PowerShellVersion is missing' }
if ($manifest.ExportedCmdlets.Count -eq 0) { $problems += 'CmdletsToExport lists no cmdlet' }
# A wildcard export list makes the Gallery (and PowerShell's command discovery) load the module to find its commands.
$raw = Get-Content $manifestPath -Raw
foreach ($list in 'CmdletsToExport', 'FunctionsToExport', 'VariablesToExport', 'AliasesToExport') {
    if ($raw -notmatch "(?m)^\s*$list\s*=") { $problems += "$list is not set (set it to an explicit list, @() for none)" }
    elseif ($raw -match "(?ms)^\s*$list\s*=\s*(@\([^)]*\*|'\*')") { $problems += "$list uses a wildcard" }
}
if (-not (Test-Path (Join-Path $moduleFolder 'LICENSE'))) { $problems += "the module folder has no LICENSE file" }
if ($problems) {
    throw "The manifest $manifestPath is not ready for the PowerShell Gallery: $($problems -join '; ')."
}

New-Item -ItemType Directory -Path $OutputPath -Force | Out-Null
$package = Join-Path (Resolve-Path $OutputPath).ProviderPath "$($manifest.Name).$($manifest.Version).nupkg"
Remove-Item $package -ErrorAction SilentlyContinue
Compress-PSResource -Path $moduleFolder -DestinationPath (Split-Path $package -Parent)
if (-not (Test-Path $package)) { throw "Compress-PSResource wrote no $package." }
$package
