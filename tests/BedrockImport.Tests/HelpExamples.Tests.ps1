# Issue 16: help that cannot lie. Every '### Example' code block in help/*.md is parsed and its BedrockImport commands
# and named parameters are checked against the module; examples marked '# requires: aws' need a real account.
BeforeDiscovery {
    $helpFolder = Join-Path $PSScriptRoot '../../help'
    $script:examples = foreach ($file in Get-ChildItem $helpFolder -Filter '*-*.md') {
        $lines = Get-Content $file.FullName
        $title = $null; $inCode = $false; $code = $null
        foreach ($line in $lines) {
            if ($line -match '^### (Example \d+.*)$') { $title = $Matches[1]; continue }
            if ($line -match '^## ') { $title = $null; continue }
            if ($title -and -not $inCode -and $line -match '^```') { $inCode = $true; $code = [System.Collections.Generic.List[string]]::new(); continue }
            if ($inCode -and $line -match '^```') {
                $text = $code -join "`n"
                @{ Cmdlet = $file.BaseName; Example = $title; Code = $text; NeedsAws = $text -match '(?m)^\s*# requires: aws\s*$' }
                $inCode = $false; $title = $null; continue
            }
            if ($inCode) { $code.Add($line) }
        }
    }
}

BeforeAll {
    Import-Module $env:BEDROCKIMPORT_MODULE -Force
}

Describe 'Help examples' {
    It 'every cmdlet has at least one example' {
        $documented = @($examples | ForEach-Object Cmdlet | Sort-Object -Unique)
        $cmdlets = @(Get-Command -Module BedrockImport -CommandType Cmdlet | ForEach-Object Name)
        $cmdlets | Where-Object { $_ -notin $documented } | Should -BeNullOrEmpty
    }

    It '<Cmdlet> <Example> parses and names only real BedrockImport parameters' -ForEach $examples {
        $tokens = $null; $errors = $null
        $ast = [System.Management.Automation.Language.Parser]::ParseInput($Code, [ref] $tokens, [ref] $errors)
        $errors | ForEach-Object Message | Should -BeNullOrEmpty
        $problems = foreach ($command in $ast.FindAll({ param($node) $node -is [System.Management.Automation.Language.CommandAst] }, $true)) {
            $name = $command.GetCommandName()
            if ($name -notmatch '^[A-Za-z]+-(Bedrock|ImportedModel)') { continue }
            $info = Get-Command $name -Module BedrockImport -ErrorAction SilentlyContinue
            if (-not $info) { "no command $name"; continue }
            foreach ($parameter in $command.CommandElements | Where-Object { $_ -is [System.Management.Automation.Language.CommandParameterAst] }) {
                $matching = @($info.Parameters.Values | Where-Object { $_.Name -like "$($parameter.ParameterName)*" -or $_.Aliases -contains $parameter.ParameterName })
                if ($matching.Count -eq 0) { "$name has no -$($parameter.ParameterName)" }
            }
        }
        $problems | Should -BeNullOrEmpty
    }
}

Describe 'about_BedrockImport' {
    It 'Get-Help about_BedrockImport shows the walkthrough from the built module' {
        $topic = Get-Help about_BedrockImport | Out-String
        $topic | Should -Match 'about_BedrockImport'
        $topic | Should -Match 'Start-BedrockModelImport'
        $topic | Should -Match 'Wait-BedrockImportJob'
    }
}
