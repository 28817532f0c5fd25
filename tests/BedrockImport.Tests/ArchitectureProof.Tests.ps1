# Issue 13's proof: every reference model is imported as a user imports it, then answers through Invoke-ImportedModel with
# exactly its reference's greedy ids. The references are data (Inference.Tests/Model/References/references.json from
# make_references.py, an independent PyTorch implementation; Fixtures/reference.json from transformers); the expected
# text is the reference ids decoded with the model's own tokenizer.json, never a string written here.

BeforeDiscovery {
    $inferenceTests = Join-Path $PSScriptRoot '..' 'BedrockImport.Inference.Tests'
    $referenceRoot = Join-Path $inferenceTests 'Model' 'References'
    $fixtureRoot = Join-Path $inferenceTests 'Fixtures'

    $script:cases = @(
        foreach ($model in (Get-Content (Join-Path $referenceRoot 'references.json') -Raw | ConvertFrom-Json).models.PSObject.Properties) {
            $reference = $model.Value
            @{
                Name = $model.Name; Folder = (Join-Path $referenceRoot $model.Name); ModelType = $reference.model_type
                Prompt = $reference.prompt; PromptIds = [int[]] $reference.prompt_ids; GreedyIds = [int[]] $reference.greedy_ids
                Chat = @{ Prompt = $reference.chat.prompt; Rendered = $reference.chat.rendered; PromptIds = [int[]] $reference.chat.prompt_ids; GreedyIds = [int[]] $reference.chat.greedy_ids }
            }
        }
        foreach ($model in (Get-Content (Join-Path $fixtureRoot 'reference.json') -Raw | ConvertFrom-Json).models.PSObject.Properties) {
            $greedy = $model.Value.greedy
            @{
                Name = "transformers-$($model.Name)"; Folder = (Join-Path $fixtureRoot $model.Name); ModelType = $model.Value.model_type
                Prompt = $greedy.prompt; PromptIds = [int[]] $greedy.input_ids; GreedyIds = [int[]] $greedy.output_ids; Chat = $null
            }
        }
    )
    $script:chatCases = @($cases | Where-Object { $_.Chat })
    # Amazon Bedrock does not serve imported Qwen2/2.5 and Qwen3 models through Converse (the module's and the endpoint's
    # architecture list says so too): their chat reference goes through InvokeModel only.
    $script:converseCases = @($chatCases | Where-Object { $_.ModelType -notin 'qwen2', 'qwen3' })
    $script:converseRefusedCases = @($chatCases | Where-Object { $_.ModelType -in 'qwen2', 'qwen3' })
}

BeforeAll {
    Import-Module $env:BEDROCKIMPORT_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'TestEndpoint.psm1') -Force
    # Outside $TestDrive: Pester empties it after each Describe, and the endpoint's data must outlive them all.
    $script:endpointData = New-TestWorkFolder
    $script:endpoint = Start-TestEndpoint -DataPath $endpointData
    # "weights", the strict choice: a model the engine cannot run is refused (ModelErrorException) instead of being
    # answered by the stand-in's pseudo-text; never evicted, so each model pays one cold start in the file.
    Set-TestKnobs $endpoint -Bedrock @{ engine = 'weights'; engineIdleEvictMs = 0 }
    $script:role = 'arn:aws:iam::123456789012:role/BedrockImportTest'

    # The expected text is decoded with the tokenizer the endpoint runs (BedrockImport.Inference, published beside the
    # endpoint). Its decoding of these very ids equals the Rust tokenizers' and the references' own text
    # (Inference.Tests' ReferenceTokenizationTests), so the text below is the references', not the endpoint's opinion.
    Add-Type -Path (Join-Path (Get-Module BedrockImport).ModuleBase 'endpoint' 'BedrockImport.Inference.dll')
    $script:tokenizers = @{}
    function Get-Tokenizer([string] $Folder) {
        if (-not $tokenizers.ContainsKey($Folder)) { $tokenizers[$Folder] = [BedrockImport.Inference.Tokenization.ModelTokenizer]::Load($Folder) }
        $tokenizers[$Folder]
    }
    # Bedrock's answers leave special tokens out (vLLM's skip_special_tokens), as the endpoint does.
    function ConvertFrom-ReferenceIds([string] $Folder, [int[]] $Ids) { (Get-Tokenizer $Folder).Decode($Ids, $true) }

    $script:imported = @{}
    # Imports the folder once per file: copy to S3, start the import job, wait for the model.
    function Import-ReferenceModel([string] $Name, [string] $Folder) {
        if (-not $imported.ContainsKey($Name)) {
            $modelName = 'proof-' + ($Name -replace '_', '-')
            $imported[$Name] = Copy-BedrockModelSource -Path $Folder -Destination "s3://proof-models/$modelName/" -CreateBucket |
                Start-BedrockModelImport -ModelName $modelName -RoleArn $role |
                Wait-BedrockImportJob
        }
        $imported[$Name]
    }

    # The text shown while streaming, one host message per chunk (the line break the cmdlet writes after the answer is
    # not part of it).
    function Get-ShownText($Streamed, [string] $Completion) {
        $pieces = @($Streamed | ForEach-Object { [string] $_.MessageData })
        if ($pieces.Count -and $pieces[-1] -eq [Environment]::NewLine -and -not $Completion.EndsWith([Environment]::NewLine)) {
            $pieces = @($pieces | Select-Object -First ($pieces.Count - 1))
        }
        $pieces -join ''
    }

    function Get-EngineReport([string] $ModelArn) {
        (Invoke-RestMethod "$($endpoint.EndpointUrl)/_admin/models").models | Where-Object modelArn -eq $ModelArn
    }

    # The chat reference's answer, through InvokeModel -Messages or Converse alike.
    function Assert-ChatAnswer($Answer, [string] $Expected, $Chat, [string] $ModelArn) {
        $Answer.Completion | Should -BeExactly $Expected
        $Answer.InputTokens | Should -Be $Chat.PromptIds.Count
        $Answer.OutputTokens | Should -Be $Chat.GreedyIds.Count
        $Answer.StopReason | Should -Be 'length'
        $report = Get-EngineReport $ModelArn
        $report.engine | Should -Be 'weights'
        $report.lastGeneration.promptTokens | Should -Be $Chat.PromptIds.Count
    }

    function Assert-StreamedChatAnswer($Answer, $Streamed, [string] $Expected, $Chat) {
        $Answer.Completion | Should -BeExactly $Expected
        Get-ShownText $Streamed $Answer.Completion | Should -BeExactly $Expected
        $Answer.InputTokens | Should -Be $Chat.PromptIds.Count
        $Answer.OutputTokens | Should -Be $Chat.GreedyIds.Count
    }
}

AfterAll {
    Stop-BedrockLocalEndpoint
    $global:PSDefaultParameterValues = @{}
    Remove-Item -LiteralPath $endpointData -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'The reference models' -Tag 'CI' -ForEach @(@{ ModelTypes = @($cases | ForEach-Object { $_.ModelType }) }) {
    It 'cover the five architectures of issue 13' {
        $ModelTypes | Sort-Object -Unique | Should -Be 'llama', 'mistral', 'mixtral', 'qwen2', 'qwen3'
    }
}

Describe 'The imported <Name> answers with its reference greedy ids' -Tag 'CI' -ForEach $cases {
    BeforeAll {
        $model = Import-ReferenceModel $Name $Folder
        $expected = ConvertFrom-ReferenceIds $Folder $GreedyIds
    }

    It 'is answered by the weights engine' {
        $model.ModelArchitecture | Should -Not -BeNullOrEmpty
        $report = Get-EngineReport $model.ModelArn
        $report.engine | Should -Be 'weights'
        $report.answerBook | Should -BeFalse
    }

    # The text prompt goes out in the BedrockCompletion format (the module's default for a prompt without a system
    # prompt or messages): the prompt is sent as it is, with no chat template, and the service's tokenizer adds what its
    # post-processor names. The references were computed on exactly that: make_references.py's prompt_ids are BOS (the
    # post-processor's one special token) then the BPE ids; the transformers fixtures' post-processor adds nothing and
    # their input_ids have no special token.
    It 'completes the text prompt non-streamed' {
        $expected.Length | Should -BeGreaterThan 0
        $answer = Invoke-ImportedModel -ModelId $model.ModelArn -Prompt $Prompt -Format BedrockCompletion -MaxTokens $GreedyIds.Count -Temperature 0

        $answer.Completion | Should -BeExactly $expected
        $answer.InputTokens | Should -Be $PromptIds.Count
        $answer.OutputTokens | Should -Be $GreedyIds.Count
        $answer.StopReason | Should -Be 'length'
        $report = Get-EngineReport $model.ModelArn
        $report.engine | Should -Be 'weights'
        $report.state | Should -Be 'loaded'
        $report.lastGeneration.promptTokens | Should -Be $PromptIds.Count
        $report.lastGeneration.outputTokens | Should -Be $GreedyIds.Count
    }

    It 'streams the same ids, one chunk per token' {
        $answer = Invoke-ImportedModel -ModelId $model.ModelArn -Prompt $Prompt -Format BedrockCompletion -MaxTokens $GreedyIds.Count -Temperature 0 -Stream -InformationVariable streamed 6>$null

        $answer.Completion | Should -BeExactly $expected
        Get-ShownText $streamed $answer.Completion | Should -BeExactly $expected
        $answer.InputTokens | Should -Be $PromptIds.Count
        $answer.OutputTokens | Should -Be $GreedyIds.Count
        $chunks = @($answer.Raw)
        $chunks | Should -HaveCount $GreedyIds.Count
        ($chunks | ForEach-Object { [string] $_.generation }) -join '' | Should -BeExactly $expected
        if ($Chat) {
            # The references' tokenizers spell every id in whole ASCII characters, so each chunk is its own id's text:
            # token for token, not only the same text in the end.
            for ($i = 0; $i -lt $GreedyIds.Count; $i++) {
                [string] $chunks[$i].generation | Should -BeExactly (ConvertFrom-ReferenceIds $Folder $GreedyIds[$i]) -Because "chunk $i is greedy id $($GreedyIds[$i])"
            }
        }
        (Get-EngineReport $model.ModelArn).engine | Should -Be 'weights'
    }
}

Describe 'The imported <Name> answers its chat reference through InvokeModel' -Tag 'CI' -ForEach $chatCases {
    BeforeAll {
        $model = Import-ReferenceModel $Name $Folder
        $expected = ConvertFrom-ReferenceIds $Folder $Chat.GreedyIds
    }

    It "renders the chat prompt with the model's template as the reference did" {
        (Get-ImportedModelPrompt -ModelId $model.ModelArn -Prompt $Chat.Prompt).Prompt | Should -BeExactly $Chat.Rendered
    }

    # Messages meet the BedrockCompletion format: the module renders them with the model's chat template and the service
    # adds BOS, the reference's chat prompt_ids.
    It 'completes the conversation non-streamed' {
        $answer = Invoke-ImportedModel -ModelId $model.ModelArn -Messages @{ role = 'user'; content = $Chat.Prompt } -MaxTokens $Chat.GreedyIds.Count -Temperature 0

        Assert-ChatAnswer $answer $expected $Chat $model.ModelArn
    }

    It 'streams the same answer' {
        $answer = Invoke-ImportedModel -ModelId $model.ModelArn -Messages @{ role = 'user'; content = $Chat.Prompt } -MaxTokens $Chat.GreedyIds.Count -Temperature 0 -Stream -InformationVariable streamed 6>$null

        Assert-StreamedChatAnswer $answer $streamed $expected $Chat
        @($answer.Raw) | Should -HaveCount $Chat.GreedyIds.Count
    }
}

Describe 'The imported <Name> answers its chat reference through Converse' -Tag 'CI' -ForEach $converseCases {
    BeforeAll {
        $model = Import-ReferenceModel $Name $Folder
        $expected = ConvertFrom-ReferenceIds $Folder $Chat.GreedyIds
    }

    # The service renders the user message with the model's own chat template and tokenizes it with BOS.
    It 'completes the conversation non-streamed' {
        $answer = Invoke-ImportedModel -ModelId $model.ModelArn -Api Converse -Prompt $Chat.Prompt -MaxTokens $Chat.GreedyIds.Count -Temperature 0

        Assert-ChatAnswer $answer $expected $Chat $model.ModelArn
    }

    It 'streams the same answer' {
        $answer = Invoke-ImportedModel -ModelId $model.ModelArn -Api Converse -Prompt $Chat.Prompt -MaxTokens $Chat.GreedyIds.Count -Temperature 0 -Stream -InformationVariable streamed 6>$null

        Assert-StreamedChatAnswer $answer $streamed $expected $Chat
    }
}

Describe 'The imported <Name> is refused by Converse, as Bedrock refuses its architecture' -Tag 'CI' -ForEach $converseRefusedCases {
    BeforeAll {
        $model = Import-ReferenceModel $Name $Folder
    }

    It 'names the InvokeModel fallback (which answers the chat reference above)' {
        $failure = Invoke-ImportedModel -ModelId $model.ModelArn -Api Converse -Prompt $Chat.Prompt -MaxTokens 2 -ErrorAction SilentlyContinue -ErrorVariable errors
        $failure | Should -BeNullOrEmpty
        $errors[0].FullyQualifiedErrorId | Should -Be 'ConverseNotSupported,BedrockImport.Cmdlets.InvokeImportedModelCommand'
    }
}
