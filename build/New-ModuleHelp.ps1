<#
.SYNOPSIS
    Writes the MAML help of the binary cmdlets (en-US/BedrockImport.dll-Help.xml) from help/<Cmdlet>.md and the
    cmdlets' own parameter metadata. platyPS is not available from NuGet, so this is the small part of it we need.
.DESCRIPTION
    A help/<Verb-Noun>.md file has the sections '## SYNOPSIS', '## DESCRIPTION', '## EXAMPLES' (each '### title',
    a fenced powershell block, then remarks), '## PARAMETERS' ('### -Name' then its description) and optional
    '## NOTES'. Syntax, types, positions and pipeline input come from the compiled cmdlet, so they cannot drift.
    Run in a fresh pwsh: it imports the built module.
#>
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $HelpSource,
    [Parameter(Mandatory)] [string] $OutputFile
)

$ErrorActionPreference = 'Stop'
Import-Module $ModulePath -Force
$module = Get-Module BedrockImport
$common = [System.Management.Automation.Internal.CommonParameters].GetProperties().Name +
    [System.Management.Automation.Internal.ShouldProcessParameters].GetProperties().Name

function Get-Sections([string] $Text) {
    $sections = @{}
    $current = $null
    foreach ($line in $Text -split "`r?`n") {
        if ($line -match '^## (.+)$') { $current = $Matches[1].Trim(); $sections[$current] = [System.Collections.Generic.List[string]]::new(); continue }
        if ($current) { $sections[$current].Add($line) }
    }
    $sections
}

function Get-Subsections([System.Collections.Generic.List[string]] $Lines) {
    $items = [ordered]@{}
    $current = $null
    foreach ($line in $Lines) {
        if ($line -match '^### (.+)$') { $current = $Matches[1].Trim(); $items[$current] = [System.Collections.Generic.List[string]]::new(); continue }
        if ($current) { $items[$current].Add($line) }
    }
    $items
}

function Get-Paragraphs([string[]] $Lines) {
    (($Lines -join "`n").Trim() -split "`n\s*`n") | Where-Object { $_.Trim() } | ForEach-Object { ($_ -replace '\s*\n\s*', ' ').Trim() }
}

# Descriptions of the AWS common parameters, shared by every cmdlet that calls AWS.
$sharedParameters = Get-Subsections (Get-Sections (Get-Content (Join-Path $HelpSource '_CommonParameters.md') -Raw))['PARAMETERS']

$settings = [System.Xml.XmlWriterSettings]@{ Indent = $true; Encoding = [System.Text.UTF8Encoding]::new($false) }
$null = New-Item -ItemType Directory -Path (Split-Path $OutputFile) -Force
$writer = [System.Xml.XmlWriter]::Create($OutputFile, $settings)
$maml = 'http://schemas.microsoft.com/maml/2004/10'
$commandNs = 'http://schemas.microsoft.com/maml/dev/command/2004/10'
$dev = 'http://schemas.microsoft.com/maml/dev/2004/10'

function Write-Paras([string] $Element, [string] $Namespace, [string[]] $Paragraphs) {
    $writer.WriteStartElement($Element, $Namespace)
    foreach ($p in $Paragraphs) { $writer.WriteElementString('para', $maml, $p) }
    $writer.WriteEndElement()
}

# The type a user gives: Int32 for a [Nullable[int]], BodyFormat for a [Nullable[BedrockImport.BodyFormat]].
function Get-ValueType([type] $Type) {
    $underlying = [Nullable]::GetUnderlyingType($Type)
    if ($underlying) { $underlying } else { $Type }
}

function Get-PipelineInput($ParameterAttribute) {
    $kinds = @()
    if ($ParameterAttribute.ValueFromPipeline) { $kinds += 'ByValue' }
    if ($ParameterAttribute.ValueFromPipelineByPropertyName) { $kinds += 'ByPropertyName' }
    if ($kinds) { "True ($($kinds -join ', '))" } else { 'False' }
}

$writer.WriteStartDocument()
$writer.WriteStartElement('helpItems', 'http://msh')
$writer.WriteAttributeString('schema', 'maml')
foreach ($name in ($module.ExportedCmdlets.Keys | Sort-Object)) {
    $command = Get-Command $name
    $source = Join-Path $HelpSource "$name.md"
    if (-not (Test-Path $source)) { Write-Warning "No help source for $name (expected $source)."; continue }
    $sections = Get-Sections (Get-Content $source -Raw)
    $parameterText = Get-Subsections $sections['PARAMETERS']
    $verb, $noun = $name -split '-', 2

    $writer.WriteStartElement('command', 'command', $commandNs)
    $writer.WriteAttributeString('xmlns', 'maml', $null, $maml)
    $writer.WriteAttributeString('xmlns', 'dev', $null, $dev)
    $writer.WriteStartElement('details', $commandNs)
    $writer.WriteElementString('name', $commandNs, $name)
    $writer.WriteElementString('verb', $commandNs, $verb)
    $writer.WriteElementString('noun', $commandNs, $noun)
    Write-Paras 'description' $maml (Get-Paragraphs $sections['SYNOPSIS'])
    $writer.WriteEndElement()
    Write-Paras 'description' $maml (Get-Paragraphs $sections['DESCRIPTION'])

    $writer.WriteStartElement('syntax', $commandNs)
    foreach ($set in $command.ParameterSets) {
        $writer.WriteStartElement('syntaxItem', $commandNs)
        $writer.WriteElementString('name', $maml, $name)
        foreach ($p in $set.Parameters | Where-Object Name -notin $common) {
            $writer.WriteStartElement('parameter', $commandNs)
            $writer.WriteAttributeString('required', $p.IsMandatory.ToString().ToLowerInvariant())
            $writer.WriteAttributeString('position', $(if ($p.Position -ge 0) { $p.Position } else { 'named' }))
            $writer.WriteElementString('name', $maml, $p.Name)
            if ($p.ParameterType -ne [switch]) { $writer.WriteElementString('parameterValue', $commandNs, (Get-ValueType $p.ParameterType).Name) }
            $writer.WriteEndElement()
        }
        $writer.WriteEndElement()
    }
    $writer.WriteEndElement()

    $writer.WriteStartElement('parameters', $commandNs)
    foreach ($p in $command.Parameters.Values | Where-Object Name -notin $common | Sort-Object Name) {
        $attribute = $p.Attributes | Where-Object { $_ -is [System.Management.Automation.ParameterAttribute] } | Select-Object -First 1
        $description = $parameterText["-$($p.Name)"]
        if (-not $description) { $description = $sharedParameters["-$($p.Name)"] }
        if (-not $description) { Write-Warning "help/$name.md does not describe -$($p.Name)."; $description = @() }
        $writer.WriteStartElement('parameter', $commandNs)
        $writer.WriteAttributeString('required', $attribute.Mandatory.ToString().ToLowerInvariant())
        $writer.WriteAttributeString('position', $(if ($attribute.Position -ge 0) { $attribute.Position } else { 'named' }))
        $writer.WriteAttributeString('pipelineInput', (Get-PipelineInput $attribute))
        $writer.WriteAttributeString('aliases', $(if ($p.Aliases) { $p.Aliases -join ', ' } else { 'none' }))
        $writer.WriteElementString('name', $maml, $p.Name)
        Write-Paras 'description' $maml (Get-Paragraphs $description)
        $writer.WriteElementString('parameterValue', $commandNs, (Get-ValueType $p.ParameterType).Name)
        $writer.WriteStartElement('type', $dev); $writer.WriteElementString('name', $maml, (Get-ValueType $p.ParameterType).FullName); $writer.WriteEndElement()
        $writer.WriteEndElement()
    }
    $writer.WriteEndElement()

    $writer.WriteStartElement('returnValues', $commandNs)
    foreach ($type in $command.OutputType) {
        $writer.WriteStartElement('returnValue', $commandNs)
        $writer.WriteStartElement('type', $dev); $writer.WriteElementString('name', $maml, $type.Name); $writer.WriteEndElement()
        $writer.WriteEndElement()
    }
    $writer.WriteEndElement()

    if ($sections['NOTES']) {
        $writer.WriteStartElement('alertSet', $maml)
        $writer.WriteStartElement('alert', $maml)
        foreach ($p in Get-Paragraphs $sections['NOTES']) { $writer.WriteElementString('para', $maml, $p) }
        $writer.WriteEndElement(); $writer.WriteEndElement()
    }

    $writer.WriteStartElement('examples', $commandNs)
    $examples = Get-Subsections $sections['EXAMPLES']
    if ($examples.Count -eq 0) { Write-Warning "help/$name.md has no example." }
    foreach ($title in $examples.Keys) {
        $lines = $examples[$title]
        $start = $lines.FindIndex({ param($l) $l -match '^```' })
        $end = $lines.FindIndex($start + 1, { param($l) $l -match '^```' })
        $writer.WriteStartElement('example', $commandNs)
        $writer.WriteElementString('title', $maml, "-------------------------- $title --------------------------")
        $writer.WriteElementString('code', $dev, (($lines[($start + 1)..($end - 1)]) -join "`n"))
        Write-Paras 'remarks' $dev (Get-Paragraphs ($lines | Select-Object -Skip ($end + 1)))
        $writer.WriteEndElement()
    }
    $writer.WriteEndElement()
    $writer.WriteEndElement()
}
$writer.WriteEndElement()
$writer.WriteEndDocument()
$writer.Dispose()
Write-Host "Help written to $OutputFile"
