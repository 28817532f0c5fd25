# A model name must never outlive its model in the session: the name -> ARN cache, the chat templates and the tab
# completion of names, tried the way a user iterating on a fine-tune would (remove, import again under the same name).
BeforeAll {
    Import-Module $env:BEDROCKIMPORT_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'TestEndpoint.psm1') -Force
    $script:endpoint = Start-TestEndpoint -DataPath (Join-Path $TestDrive 'endpoint')
    Set-TestKnobs $endpoint
    $script:role = 'arn:aws:iam::123456789012:role/BedrockImportTest'
    $script:connection = "-EndpointUrl $($endpoint.EndpointUrl) -Region $($endpoint.Region) -AccessKey $($endpoint.AccessKey) -SecretKey '$($endpoint.SecretKey)'"

    # Uploads a sample model to s3://names/<Name>-<Version>/ and returns that URI.
    function Send-Sample([string] $Name, [string] $Version, [switch] $ChatTemplate) {
        $folder = Join-Path $TestDrive "$Name-$Version"
        New-BedrockSampleModel -Path $folder -ShardCount 1 -ChatTemplate:$ChatTemplate | Out-Null
        $uri = "s3://names/$Name-$Version/"
        Copy-BedrockModelSource $folder $uri -CreateBucket | Out-Null
        $uri
    }

    # Each import gets its own job name: two imports of one model name within a second would share the dated default.
    function Import-Sample([string] $Name, [string] $Version, [switch] $ChatTemplate) {
        Start-BedrockModelImport -ModelName $Name -JobName "$Name-$Version-$((New-Guid).ToString('N').Substring(0, 8))" -S3Uri (Send-Sample $Name $Version -ChatTemplate:$ChatTemplate) -RoleArn $role |
            Wait-BedrockImportJob
    }

    # Deletes a model and imports another under its name in a fresh pwsh: another console, whose deletion this session never sees.
    function Invoke-ReimportElsewhere([string] $Name, [string] $S3Uri) {
        $command = "`$ErrorActionPreference = 'Stop'; Import-Module '$env:BEDROCKIMPORT_MODULE'; " +
            "Remove-ImportedModel $Name -Force $connection; " +
            "(Start-BedrockModelImport -ModelName $Name -JobName $Name-elsewhere-$((New-Guid).ToString('N').Substring(0, 12)) -S3Uri $S3Uri -RoleArn $role $connection | Wait-BedrockImportJob $connection).ModelArn"
        $arn = & dotnet (Join-Path $PSHOME 'pwsh.dll') -NoProfile -NonInteractive -Command $command
        $LASTEXITCODE | Should -Be 0 -Because 'the other console removes and imports the model'
        "$arn".Trim()
    }

    function Get-NameCompletions([string] $Command, [string] $Parameter, [string] $Typed) {
        $line = "$Command $connection -$Parameter $Typed"
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText
    }
}

AfterAll {
    Stop-BedrockLocalEndpoint
    $global:PSDefaultParameterValues = @{}
}

Describe 'A model name never outlives its model' -Tag 'CI' {
    It 'invokes a name again after Remove-ImportedModel and a new import under the same name' {
        $first = Import-Sample 'same-name' 'v1'
        (Invoke-ImportedModel same-name -Prompt 'hello' -MaxTokens 3).ModelArn | Should -Be $first.ModelArn

        Remove-ImportedModel same-name -Force
        $second = Import-Sample 'same-name' 'v2'
        $second.ModelArn | Should -Not -Be $first.ModelArn

        Reset-TestStats $endpoint
        $errors = $null
        $result = Invoke-ImportedModel same-name -Prompt 'hello' -MaxTokens 3 -ErrorVariable errors -ErrorAction SilentlyContinue
        $errors | Should -BeNullOrEmpty
        $result.ModelArn | Should -Be $second.ModelArn
        $result.Completion | Should -Not -BeNullOrEmpty
        # Removing the model dropped its name: the new one is looked up, and nothing is sent to the deleted ARN.
        Get-TestCallCount $endpoint 'bedrock:GetImportedModel' | Should -Be 1
        Get-TestCallCount $endpoint 'bedrock:InvokeModel' | Should -Be 1
    }

    It 'forgets a name removed by its ARN' {
        $first = Import-Sample 'by-arn' 'v1'
        Invoke-ImportedModel by-arn -Prompt 'hello' -MaxTokens 3 | Out-Null
        Remove-ImportedModel $first.ModelArn -Force
        $second = Import-Sample 'by-arn' 'v2'

        Reset-TestStats $endpoint
        (Invoke-ImportedModel by-arn -Prompt 'hello' -MaxTokens 3).ModelArn | Should -Be $second.ModelArn
        Get-TestCallCount $endpoint 'bedrock:InvokeModel' | Should -Be 1
    }

    It 'resolves a remembered name once more when its model was replaced in another console, for every piped prompt' {
        $first = Import-Sample 'elsewhere' 'v1'
        (Invoke-ImportedModel elsewhere -Prompt 'hello' -MaxTokens 3).ModelArn | Should -Be $first.ModelArn
        $secondArn = Invoke-ReimportElsewhere 'elsewhere' (Send-Sample 'elsewhere' 'v2')
        $secondArn | Should -Not -Be $first.ModelArn

        $errors = $null
        $prompts = 1..6 | ForEach-Object { "prompt $_" }
        $results = $prompts | Invoke-ImportedModel -ModelId elsewhere -MaxTokens 3 -ThrottleLimit 3 -ErrorVariable errors -ErrorAction SilentlyContinue
        $errors | Should -BeNullOrEmpty
        $results.Prompt | Should -Be $prompts
        $results.ModelArn | Select-Object -Unique | Should -Be $secondArn

        # The name now stands for the new model: the next call goes straight to it.
        Reset-TestStats $endpoint
        (Invoke-ImportedModel elsewhere -Prompt 'again' -MaxTokens 3).ModelArn | Should -Be $secondArn
        Get-TestCallCount $endpoint 'bedrock:GetImportedModel' | Should -Be 0
        Get-TestCallCount $endpoint 'bedrock:InvokeModel' | Should -Be 1
    }

    It 'renders messages with the chat template of the model that now has the name' {
        $first = Import-Sample 'templated' 'v1'
        $plain = Invoke-ImportedModel templated -Messages @{ role = 'user'; content = 'hello' } -MaxTokens 3
        $plain.ModelArn | Should -Be $first.ModelArn
        $plain.Raw.Keys | Should -Contain 'choices'

        $secondArn = Invoke-ReimportElsewhere 'templated' (Send-Sample 'templated' 'v2' -ChatTemplate)
        $errors = $null
        $warnings = $null
        $templated = Invoke-ImportedModel templated -Messages @{ role = 'user'; content = 'hello' } -MaxTokens 3 -ErrorVariable errors -ErrorAction SilentlyContinue -WarningVariable warnings -WarningAction SilentlyContinue
        $errors | Should -BeNullOrEmpty
        $warnings | Should -BeNullOrEmpty -Because 'the old model being gone is not a problem reading a template'
        $templated.ModelArn | Should -Be $secondArn
        $templated.Prompt | Should -Match 'hello<\|eot_id\|>'
        $templated.Raw.Keys | Should -Contain 'generation'
    }

    It 'still reports a name that no longer names any model, once' {
        Import-Sample 'gone' 'v1' | Out-Null
        Invoke-ImportedModel gone -Prompt 'hello' -MaxTokens 3 | Out-Null
        $command = "Import-Module '$env:BEDROCKIMPORT_MODULE'; Remove-ImportedModel gone -Force $connection"
        & dotnet (Join-Path $PSHOME 'pwsh.dll') -NoProfile -NonInteractive -Command $command
        $LASTEXITCODE | Should -Be 0

        Reset-TestStats $endpoint
        $errors = $null
        Invoke-ImportedModel gone -Prompt 'hello' -MaxTokens 3 -ErrorVariable errors -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $errors | Should -HaveCount 1
        $errors[0].FullyQualifiedErrorId | Should -Be 'ResourceNotFoundException,BedrockImport.Cmdlets.InvokeImportedModelCommand'
        $errors[0].Exception.Message | Should -Match 'gone'
        Get-TestCallCount $endpoint 'bedrock:InvokeModel' | Should -Be 1
        Get-TestCallCount $endpoint 'bedrock:GetImportedModel' | Should -Be 1
    }

    It 'stops completing a removed name at once, and completes the name of a newly imported model' {
        Import-Sample 'completed-name' 'v1' | Out-Null
        Get-NameCompletions Invoke-ImportedModel ModelId completed | Should -Contain 'completed-name'

        Remove-ImportedModel completed-name -Force
        Get-NameCompletions Invoke-ImportedModel ModelId completed | Should -Not -Contain 'completed-name'

        Import-Sample 'completed-name' 'v2' | Out-Null
        Get-NameCompletions Invoke-ImportedModel ModelId completed | Should -Contain 'completed-name'
    }
}
