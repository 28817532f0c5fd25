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

# The examples not marked run against one local endpoint, in one working folder holding every fixture they name.
# The endpoint's own lifecycle examples (Start-/Stop-BedrockLocalEndpoint) run last: Stop without arguments stops every
# endpoint of the session.
Describe 'Help examples run against the local endpoint' {
    BeforeAll {
        Import-Module (Join-Path $PSScriptRoot 'TestEndpoint.psm1') -Force
        $script:work = New-TestWorkFolder
        $script:endpoint = Start-TestEndpoint -DataPath (Join-Path $work 'endpoint')
        # Room for Request-BedrockImportQuotaIncrease's example to ask for 10 imported models.
        Set-TestKnobs $endpoint -ServiceQuotas @{ importedModels = @{ appliedValue = 8 } }
        foreach ($name in 'Copy-BedrockModelSource', 'Test-BedrockModelSource') {
            $global:PSDefaultParameterValues["${name}:HuggingFaceEndpoint"] = $endpoint.EndpointUrl
        }
        $script:savedTokenPath = $env:HF_TOKEN_PATH
        $env:HF_TOKEN_PATH = Join-Path $work 'no-token-file'

        $script:folder = Join-Path $work 'examples'
        New-Item -ItemType Directory $folder | Out-Null
        $role = 'arn:aws:iam::123456789012:role/BedrockImport'
        # youko under the job name Get-BedrockImportJob's example asks for; the Hub repository holds the same files, so
        # a copy from the Hub to s3://my-models/youko/ finds them there and the import is reused.
        $youko = Join-Path $folder 'youko'
        New-BedrockSampleModel -Path $youko -ShardCount 1 | Out-Null
        $script:model = Copy-BedrockModelSource $youko 's3://my-models/youko/' -CreateBucket |
            Start-BedrockModelImport -ModelName youko -RoleArn $role -JobName youko-20261127-101500 | Wait-BedrockImportJob
        $hubRepo = Join-Path $work 'endpoint/hub/rinna'
        New-Item -ItemType Directory $hubRepo | Out-Null
        Copy-Item $youko (Join-Path $hubRepo 'llama-3-youko-8b') -Recurse
        Import-TestSample -Name youko-instruct -Bucket my-models -Folder $folder -RoleArn $role -ChatTemplate | Out-Null
        Import-TestSample -Name youko-test -Bucket my-models -Folder $folder -RoleArn $role | Out-Null
        New-BedrockSampleModel -Path (Join-Path $folder 'llama-3-youko-8b') -ShardCount 1 | Out-Null
        foreach ($name in 'model', 'Llama-3.1-8B-Instruct') { New-BedrockSampleModel -Path (Join-Path $folder $name) -ShardCount 1 -ChatTemplate | Out-Null }

        $dataset = Join-Path $PSScriptRoot '../../samples/jcommonsenseqa-mini.jsonl'
        New-Item -ItemType Directory (Join-Path $folder 'JGLUE/datasets/jcommonsenseqa-v1.1') | Out-Null
        foreach ($path in 'JGLUE/datasets/jcommonsenseqa-v1.1/valid-v1.1.json', 'valid-v1.1.json', 'train-v1.1.json') { Copy-Item $dataset (Join-Path $folder $path) }
        Get-Content $dataset | ConvertFrom-Json | ForEach-Object { $item = $_
            [pscustomobject]@{ No = $item.q_id; Question = $item.question; Options = (0..4 | ForEach-Object { $item."choice$_" }) -join '|'; Answer = $item.label } } |
            Export-Csv (Join-Path $folder 'quiz.csv') -Encoding utf8
        Set-Content (Join-Path $folder 'prompts.txt') 'What is the capital of France?', 'Hello'
        @([pscustomobject]@{ Id = 'q1'; Prompt = 'What is the capital of France?' }) | Export-Csv (Join-Path $folder 'questions.csv') -Encoding utf8
        Set-Content (Join-Path $folder 'knobs.json') '{ "bedrock": { "importDurationMs": 200 } }'

        # The variables the examples take as given.
        $script:given = @{
            role        = $role
            arn         = $model.ModelArn
            question    = 'What is the capital of France?'
            conversation = @(@{ role = 'user'; content = 'Hello' })
            weatherTool = @{ name = 'get_weather'; description = 'The weather in a city'; inputSchema = @{ type = 'object'; properties = @{ city = @{ type = 'string' } }; required = @('city') } }
        }
        Push-Location $folder
    }

    AfterAll {
        Pop-Location
        Stop-BedrockLocalEndpoint
        $global:PSDefaultParameterValues = @{}
        $env:HF_TOKEN_PATH = $savedTokenPath
        $env:HF_TOKEN = $null
        Remove-Item $work -Recurse -Force -ErrorAction SilentlyContinue
    }

    It '<Cmdlet> <Example> runs without error' -ForEach @(
        $examples | Where-Object { -not $_.NeedsAws } |
            Sort-Object -Stable { switch -Regex ($_.Cmdlet) { '^Remove-' { 1 } '^Start-BedrockLocalEndpoint$' { 2 } '^Stop-' { 3 } default { 0 } } }) {
        if ($Code -match 'Enter-ImportedModelChat') {
            # The chat reads the console: it runs in its own process, and an empty input ends it.
            $connection = "`$PSDefaultParameterValues = @{ 'Enter-ImportedModelChat:EndpointUrl' = '$($endpoint.EndpointUrl)'; 'Enter-ImportedModelChat:Region' = '$($endpoint.Region)'; " +
                "'Enter-ImportedModelChat:AccessKey' = '$($endpoint.AccessKey)'; 'Enter-ImportedModelChat:SecretKey' = '$($endpoint.SecretKey)'; 'Get-ImportedModel:EndpointUrl' = '$($endpoint.EndpointUrl)'; " +
                "'Get-ImportedModel:Region' = '$($endpoint.Region)'; 'Get-ImportedModel:AccessKey' = '$($endpoint.AccessKey)'; 'Get-ImportedModel:SecretKey' = '$($endpoint.SecretKey)' }; "
            $command = "`$ErrorActionPreference = 'Stop'; Import-Module '$env:BEDROCKIMPORT_MODULE'; $connection$Code"
            $start = [System.Diagnostics.ProcessStartInfo]::new('dotnet')
            foreach ($a in @((Join-Path $PSHOME 'pwsh.dll'), '-NoProfile', '-NonInteractive', '-Command', $command)) { $start.ArgumentList.Add($a) }
            $start.RedirectStandardInput = $true; $start.RedirectStandardOutput = $true; $start.RedirectStandardError = $true
            $start.WorkingDirectory = $folder
            $process = [System.Diagnostics.Process]::Start($start)
            $process.StandardInput.Close()
            $output = $process.StandardOutput.ReadToEndAsync(); $errors = $process.StandardError.ReadToEndAsync()
            if (-not $process.WaitForExit(60000)) { $process.Kill(); throw 'The chat did not end within 60 s.' }
            $errors.Result | Should -BeNullOrEmpty
            $process.ExitCode | Should -Be 0 -Because $output.Result
            return
        }
        if ($Code -match 'Stop-BedrockLocalEndpoint' -and $Code -match '\$endpoint') { $given.endpoint = Start-BedrockLocalEndpoint }
        $runner = [powershell]::Create()
        try {
            $runner.Runspace.SessionStateProxy.Path.SetLocation($folder) | Out-Null
            $null = $runner.AddScript({
                    param($Module, $Defaults, $Given, $Code)
                    Import-Module $Module
                    $global:PSDefaultParameterValues = $Defaults.Clone()
                    foreach ($name in $Given.Keys) { Set-Variable $name $Given[$name] }
                    $ErrorActionPreference = 'Stop'
                    $WhatIfPreference = $false
                    & ([scriptblock]::Create($Code)) *>&1 | Out-String
                }).AddArgument($env:BEDROCKIMPORT_MODULE).AddArgument($global:PSDefaultParameterValues).AddArgument($given).AddArgument($Code)
            $output = $runner.Invoke()
            $failures = @($runner.Streams.Error | ForEach-Object { "$($_.FullyQualifiedErrorId): $_" })
            $failures | Should -BeNullOrEmpty -Because "$output"
        }
        finally { $runner.Dispose() }
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
