BeforeAll {
    Import-Module $env:BEDROCKIMPORT_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'TestEndpoint.psm1') -Force
    $script:endpoint = Start-TestEndpoint -DataPath (Join-Path $TestDrive 'endpoint')
    # The stand-in of Bedrock answers with the imported weights, as the comparison's local side does.
    Set-TestKnobs $endpoint -Bedrock @{ engine = 'weights' }
    $script:role = 'arn:aws:iam::123456789012:role/BedrockImportTest'
    $script:fixtures = Join-Path $PSScriptRoot '..' 'BedrockImport.Inference.Tests' 'Fixtures'
    $script:prompts = '質問: 次のうち、金管楽器であるのはどれ？ 回答:', 'The capital of France is'

    function Copy-Fixture([string] $Model, [string] $Name) {
        $folder = Join-Path $TestDrive $Name
        New-Item -ItemType Directory $folder | Out-Null
        Copy-Item (Join-Path $fixtures $Model '*') $folder
        $folder
    }

    function Import-Folder([string] $Folder, [string] $Name) {
        Copy-BedrockModelSource -Path $Folder -Destination "s3://models/$Name/" -CreateBucket |
            Start-BedrockModelImport -ModelName $Name -RoleArn $role |
            Wait-BedrockImportJob
    }

    # The text the endpoint streams for a prompt, one chunk per generated token (shown as host text; the line break the
    # cmdlet writes after the answer is not part of it).
    function Get-StreamedPieces([string] $ModelId, [string] $Prompt, [int] $MaxTokens) {
        $answer = Invoke-ImportedModel -ModelId $ModelId -Prompt $Prompt -MaxTokens $MaxTokens -Temperature 0 -Stream -InformationVariable streamed 6>$null
        $pieces = [System.Collections.Generic.List[string]]::new()
        $streamed | ForEach-Object { $pieces.Add([string]$_.MessageData) }
        if ($pieces.Count -and $pieces[-1] -eq [Environment]::NewLine -and -not $answer.Completion.EndsWith([Environment]::NewLine)) { $pieces.RemoveAt($pieces.Count - 1) }
        $pieces -join '' | Should -BeExactly $answer.Completion
        , $pieces
    }

    $script:llama = Copy-Fixture 'llama' 'llama'
    $script:model = Import-Folder $llama 'compare-llama'
}

AfterAll {
    Stop-BedrockLocalEndpoint
    $global:PSDefaultParameterValues = @{}
}

Describe 'Compare-ImportedModel' -Tag 'CI' {
    It 'agrees on every prompt when Bedrock serves the folder that was imported' {
        $results = @($model | Compare-ImportedModel -Path $llama -Prompt $prompts -MaxTokens 12)

        $results | Should -HaveCount 2
        $results.Prompt | Should -Be $prompts
        foreach ($result in $results) {
            $result.GetType().FullName | Should -Be 'BedrockImport.Engine.Comparison.ModelComparisonResult'
            $result.Agree | Should -BeTrue
            $result.PartedAtToken | Should -BeNullOrEmpty
            $result.LocalCompletion | Should -Not -BeNullOrEmpty
            $result.RemoteCompletion | Should -BeExactly $result.LocalCompletion
            $result.AgreedTokens | Should -Be $result.LocalTokens.Count
            $result.AgreedTokens | Should -BeGreaterThan 0
            $result.ModelArn | Should -Be $model.ModelArn
        }
        # The remote completion is what Bedrock (here the endpoint) streams for the same prompt.
        (Get-StreamedPieces $model.ModelArn $prompts[0] 12) -join '' | Should -BeExactly $results[0].RemoteCompletion
    }

    It 'reports where the completions part when the folder is not the imported model' {
        # Same tokenizer and config, other weights: the upper half of lm_head's rows (ids 297..593, the end of the only
        # tensor of shard 4, bf16 [594, 64]) zeroed, so those ids score 0 where the imported weights score them.
        $other = Copy-Fixture 'llama' 'llama-other-weights'
        $shard = Join-Path $other 'model-00004-of-00005.safetensors'
        $bytes = [IO.File]::ReadAllBytes($shard)
        $rows = 594 - 297
        [Array]::Clear($bytes, $bytes.Length - $rows * 64 * 2, $rows * 64 * 2)
        [IO.File]::WriteAllBytes($shard, $bytes)
        $otherModel = Import-Folder $other 'compare-llama-other'

        $result = Compare-ImportedModel -Path $other -ModelId compare-llama -Prompt $prompts[0] -MaxTokens 12

        $result.Agree | Should -BeFalse
        $parted = $result.PartedAtToken
        $parted | Should -Not -BeNullOrEmpty
        $result.AgreedTokens | Should -Be $parted
        # Independently: each side's completion is what the endpoint streams for its own folder.
        $localPieces = Get-StreamedPieces $otherModel.ModelArn $prompts[0] 12
        $remotePieces = Get-StreamedPieces $model.ModelArn $prompts[0] 12
        $localPieces -join '' | Should -BeExactly $result.LocalCompletion
        $remotePieces -join '' | Should -BeExactly $result.RemoteCompletion
        # The ids agree up to the parting index and differ there (or one side ends there).
        if ($parted -gt 0) { $result.LocalTokens[0..($parted - 1)] | Should -Be $result.RemoteTokens[0..($parted - 1)] }
        $endedOrDiffer = $parted -ge $result.LocalTokens.Count -or $parted -ge $result.RemoteTokens.Count -or
            $result.LocalTokens[$parted] -ne $result.RemoteTokens[$parted]
        $endedOrDiffer | Should -BeTrue
        # The streamed tokens share a prefix exactly as long as the text both completions share before the parting token.
        $sharedPieces = 0
        while ($sharedPieces -lt [Math]::Min($localPieces.Count, $remotePieces.Count) -and $localPieces[$sharedPieces] -ceq $remotePieces[$sharedPieces]) { $sharedPieces++ }
        $sharedPieces | Should -BeLessThan ([Math]::Max($localPieces.Count, $remotePieces.Count))
        $result.LocalCompletion.StartsWith(($localPieces | Select-Object -First $sharedPieces) -join '', [StringComparison]::Ordinal) | Should -BeTrue
        $result.RemoteCompletion.StartsWith(($remotePieces | Select-Object -First $sharedPieces) -join '', [StringComparison]::Ordinal) | Should -BeTrue
    }

    It 'refuses a folder that is not a model, before any Bedrock call, with its own error id' {
        $empty = Join-Path $TestDrive 'not-a-model'
        New-Item -ItemType Directory $empty | Out-Null
        Reset-TestStats $endpoint

        { Compare-ImportedModel -Path $empty -ModelId compare-llama -ErrorAction Stop } |
            Should -Throw -ErrorId 'ModelFolderNotAModel,BedrockImport.Cmdlets.CompareImportedModelCommand'
        (Get-TestCallCount $endpoint -Operation 'bedrock:InvokeModel') | Should -Be 0
    }

    It 'refuses an architecture the local engine does not run, with the reason' {
        $mamba = Copy-Fixture 'llama' 'mamba'
        $configPath = Join-Path $mamba 'config.json'
        $config = Get-Content $configPath -Raw | ConvertFrom-Json -AsHashtable
        $config.model_type = 'mamba'
        $config.architectures = @('MambaForCausalLM')
        $config | ConvertTo-Json -Depth 10 | Set-Content $configPath

        $failure = { Compare-ImportedModel -Path $mamba -ModelId compare-llama -ErrorAction Stop } |
            Should -Throw -ErrorId 'UnsupportedArchitecture,BedrockImport.Cmdlets.CompareImportedModelCommand' -PassThru
        $failure.Exception.Message | Should -Match 'mamba'
    }

    It 'leaves no engine data behind after a refused folder or a finished comparison' {
        $before = @(Get-ChildItem ([IO.Path]::GetTempPath()) -Directory -Filter 'bedrockimport-compare-*').FullName
        { Compare-ImportedModel -Path (Join-Path $TestDrive 'not-a-model') -ModelId compare-llama -ErrorAction Stop } | Should -Throw
        Compare-ImportedModel -Path $llama -ModelId compare-llama -Prompt 'x' -MaxTokens 2 | Should -HaveCount 1
        @(Get-ChildItem ([IO.Path]::GetTempPath()) -Directory -Filter 'bedrockimport-compare-*').FullName |
            Where-Object { $_ -notin $before } | Should -BeNullOrEmpty
    }

    It 'names the missing model' {
        { Compare-ImportedModel -Path $llama -ModelId no-such-model -Prompt x -MaxTokens 2 -ErrorAction Stop } |
            Should -Throw -ErrorId 'ResourceNotFoundException,BedrockImport.Cmdlets.CompareImportedModelCommand'
    }

    It 'starts nothing and calls nothing under -WhatIf' {
        Reset-TestStats $endpoint
        Compare-ImportedModel -Path $llama -ModelId compare-llama -WhatIf | Should -BeNullOrEmpty
        (Get-TestCallCount $endpoint -Operation 'bedrock:InvokeModel') | Should -Be 0
    }
}
