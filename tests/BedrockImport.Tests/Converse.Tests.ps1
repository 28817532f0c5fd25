# -Api Converse on Invoke-ImportedModel: the same answers as InvokeModel, client-side stops, Bedrock's own models beside
# an imported one, and the error with the fallback when the service will not converse with an architecture.
BeforeAll {
    Import-Module $env:BEDROCKIMPORT_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'TestEndpoint.psm1') -Force
    $script:endpoint = Start-TestEndpoint -DataPath (Join-Path $TestDrive 'endpoint')
    Set-TestKnobs $endpoint
    $script:role = 'arn:aws:iam::123456789012:role/BedrockImportTest'
    $script:claude = 'anthropic.claude-3-sonnet-20240229-v1:0'
    $script:question = "質問: 次のうち、金管楽器であるのはどれ？`nchoice0: トランペット`nchoice1: ガラス`n回答:"

    function Import-Sample([string] $Name, [scriptblock] $Edit) { Import-TestSample $Name -Bucket converse -Folder $TestDrive -RoleArn $role -ChatTemplate -Response @{ '金管楽器' = ' <answer>トランペット</answer>' } -Edit $Edit }

    $script:llama = Import-Sample 'youko'
    $script:qwen3 = Import-Sample 'qwen3' {
        param($folder)
        $configPath = Join-Path $folder 'config.json'
        $config = Get-Content $configPath -Raw | ConvertFrom-Json
        $config.architectures = @('Qwen3ForCausalLM')
        $config.model_type = 'qwen3'
        $config | ConvertTo-Json -Depth 10 | Set-Content $configPath
    }

    $script:promptFile = Join-Path $TestDrive 'prompts.txt'
    Set-Content $promptFile -Encoding utf8 -Value @(
        'What is the capital of France?'
        $question.Replace("`n", ' ')
        'Write one sentence about the sea.'
        '日本の首都はどこですか？'
    )

    function Invoke-Chat([string] $ModelId, [string[]] $Lines, [string] $Extra = '') { Invoke-TestChat $endpoint $ModelId $Lines $Extra }
}

AfterAll {
    Stop-BedrockLocalEndpoint
    $global:PSDefaultParameterValues = @{}
}

Describe 'Invoke-ImportedModel -Api Converse' -Tag 'CI' {
    AfterEach { Set-TestKnobs $endpoint }

    It 'answers a prompt file exactly as InvokeModel with the chat template does: completions and token counts' {
        Reset-TestStats $endpoint
        $invoked = Get-Content $promptFile | Invoke-ImportedModel youko -SystemPrompt 'Answer briefly.' -MaxTokens 24 -Api InvokeModel
        $conversed = Get-Content $promptFile | Invoke-ImportedModel youko -SystemPrompt 'Answer briefly.' -MaxTokens 24 -Api Converse
        Get-TestCallCount $endpoint 'bedrock:InvokeModel' | Should -Be 4
        Get-TestCallCount $endpoint 'bedrock:Converse' | Should -Be 4

        $conversed | Should -HaveCount 4
        $conversed.Prompt | Should -Be (Get-Content $promptFile)
        # InvokeModel's prompt is the rendered template; Converse sends the messages and the service renders them.
        $invoked[0].Prompt | Should -Match '<\|start_header_id\|>system'
        for ($i = 0; $i -lt 4; $i++) {
            $conversed[$i].Completion | Should -Not -BeNullOrEmpty
            $conversed[$i].Completion | Should -BeExactly $invoked[$i].Completion
            $conversed[$i].InputTokens | Should -Be $invoked[$i].InputTokens
            $conversed[$i].OutputTokens | Should -Be $invoked[$i].OutputTokens
            $conversed[$i].StopReason | Should -Be $invoked[$i].StopReason
            $conversed[$i].ModelArn | Should -Be $llama.ModelArn
            $conversed[$i].RequestId | Should -Not -BeNullOrEmpty
            $conversed[$i].ServiceLatencyMs | Should -Not -BeNullOrEmpty
        }
        ($conversed.Completion | Select-Object -Unique).Count | Should -BeGreaterThan 1
    }

    It 'gives the same answer for -Messages through both APIs, streamed or not (stream <Stream>)' -ForEach @(
        @{ Stream = $false }, @{ Stream = $true }
    ) {
        $messages = @(
            @{ role = 'system'; content = 'You answer quiz questions.' }
            @{ role = 'user'; content = 'Hello' }
            @{ role = 'assistant'; content = 'Hello! Ask me anything.' }
            @{ role = 'user'; content = $question }
        )
        $invoked = Invoke-ImportedModel youko -Messages $messages -MaxTokens 40 -Stream:$Stream 6>$null
        $conversed = Invoke-ImportedModel youko -Messages $messages -MaxTokens 40 -Api Converse -Stream:$Stream 6>$null
        $conversed.Completion | Should -BeExactly $invoked.Completion
        $conversed.InputTokens | Should -Be $invoked.InputTokens
        $conversed.Prompt | Should -Be $question
        if ($Stream) { $conversed.FirstTokenMs | Should -Not -BeNullOrEmpty }
    }

    It 'cuts a Converse stream at the stop sequence and closes it when the service ignores stopSequences' {
        Set-TestKnobs $endpoint -Bedrock @{ ignoreStop = $true }
        $shown = Invoke-ImportedModel youko -Prompt $question -StopSequence '</answer>' -MaxTokens 400 -Api Converse -Stream 6>&1
        $text = ($shown | Where-Object { $_ -is [System.Management.Automation.InformationRecord] } | ForEach-Object { $_.MessageData.Message }) -join ''
        $result = $shown | Where-Object { $_ -isnot [System.Management.Automation.InformationRecord] }

        $result.Completion | Should -Be ' <answer>トランペット'
        $result.StopReason | Should -Be 'stop_sequence'
        $result.StopSequence | Should -Be '</answer>'
        $text.TrimEnd() | Should -Be ' <answer>トランペット'
        # Closed at the stop: the service's messageStop (and its 400-token tail) was never read.
        $result.ServiceStopReason | Should -BeNullOrEmpty
        @($result.Raw).Count | Should -BeLessThan 30
    }

    It 'cuts a plain Converse answer at the stop sequence too, and keeps it with -IncludeStopSequence' {
        Set-TestKnobs $endpoint -Bedrock @{ ignoreStop = $true }
        $result = Invoke-ImportedModel youko -Prompt $question -StopSequence '</answer>' -Api Converse
        $result.Completion | Should -Be ' <answer>トランペット'
        $result.StopReason | Should -Be 'stop_sequence'
        $result.ServiceStopReason | Should -Not -Be 'stop_sequence'
        (Invoke-ImportedModel youko -Prompt $question -StopSequence '</answer>' -Api Converse -IncludeStopSequence).Completion |
            Should -Be ' <answer>トランペット</answer>'
    }

    It 'puts a foundation model beside the imported one: both answer every piped prompt, in order' {
        $prompts = Get-Content $promptFile
        $results = $claude, 'youko' | ForEach-Object { $id = $_; $prompts | Invoke-ImportedModel -ModelId $id -MaxTokens 24 -ThrottleLimit 2 }
        $results | Should -HaveCount 8
        $results.Prompt | Should -Be ($prompts + $prompts)
        $results[0..3].ModelArn | Select-Object -Unique | Should -Be $claude
        $results[4..7].ModelArn | Select-Object -Unique | Should -Be $llama.ModelArn
        $results | ForEach-Object { $_.Completion | Should -Not -BeNullOrEmpty }
        # The stand-in's answer book knows this one; the imported model answers from its own.
        $results[0].Completion | Should -Match 'Paris'
        $results[0].Completion | Should -Not -Be $results[4].Completion
    }

    It 'takes an inference profile id and a caller-built Converse body' {
        $body = @{ messages = @(@{ role = 'user'; content = @(@{ text = 'What is two plus two?' }) }); inferenceConfig = @{ maxTokens = 20 } }
        $result = Invoke-ImportedModel "us.$claude" -Body $body
        $result.Completion | Should -Match 'four'
        $result.Prompt | Should -Be 'What is two plus two?'
        $result.StopReason | Should -Be 'stop'
    }

    It 'refuses Converse for a Qwen3 import with ConverseNotSupported and names the fallback, which works' {
        $result = Invoke-ImportedModel qwen3 -Prompt 'hello' -Api Converse -ErrorVariable failure -ErrorAction SilentlyContinue
        $result | Should -BeNullOrEmpty
        $failure | Should -HaveCount 1
        $failure[0].FullyQualifiedErrorId | Should -Be 'ConverseNotSupported,BedrockImport.Cmdlets.InvokeImportedModelCommand'
        $failure[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        $failure[0].Exception.Message | Should -Match 'Qwen3'
        $failure[0].Exception.Message | Should -Match '-Api InvokeModel'
        (Invoke-ImportedModel qwen3 -Prompt 'hello' -MaxTokens 5).Completion | Should -Not -BeNullOrEmpty
    }

    It 'rejects -Api InvokeModel for a foundation model, and -Format with Converse, as parameter errors' {
        Reset-TestStats $endpoint
        Invoke-ImportedModel $claude -Prompt hi -Api InvokeModel -ErrorVariable invokeError -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $invokeError[0].FullyQualifiedErrorId | Should -Be 'InvokeModelNeedsImportedModel,BedrockImport.Cmdlets.InvokeImportedModelCommand'
        $invokeError[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        $invokeError[0].Exception.Message | Should -Match 'Converse'

        Invoke-ImportedModel youko -Prompt hi -Api Converse -Format OpenAIChat -ErrorVariable formatError -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $formatError[0].FullyQualifiedErrorId | Should -Be 'ParameterNotForConverse,BedrockImport.Cmdlets.InvokeImportedModelCommand'
        (Get-TestCallCounts $endpoint).Keys | Where-Object { $_ -match 'InvokeModel|Converse' } | Should -BeNullOrEmpty
    }

    It 'chats through Converse: an imported model replies as it does through InvokeModel, and a foundation model answers' {
        $lines = @('Hello', $question.Replace("`n", ' '), '/bye')
        Reset-TestStats $endpoint
        $invoked = Invoke-Chat youko $lines '-MaxTokens 30'
        $conversed = Invoke-Chat youko $lines '-MaxTokens 30 -Api Converse'
        $conversed.Errors | Should -BeNullOrEmpty
        Get-TestCallCount $endpoint 'bedrock:ConverseStream' | Should -Be 2
        Get-TestCallCount $endpoint 'bedrock:InvokeModelWithResponseStream' | Should -Be 2
        $conversed.Output | Should -Match 'トランペット'
        $conversed.Output | Should -BeExactly $invoked.Output

        $claudeChat = Invoke-Chat $claude @('What is the capital of France?', '/bye')
        $claudeChat.Errors | Should -BeNullOrEmpty
        $claudeChat.Output | Should -Match 'Paris'
    }

    It 'sends -Tool as toolConfig and returns the tool call, plain and streamed (stream <Stream>)' -ForEach @(
        @{ Stream = $false }, @{ Stream = $true }
    ) {
        $weather = @{ name = 'get_weather'; description = 'The current weather'; parameters = @{ type = 'object'; properties = @{ city = @{ type = 'string' } }; required = @('city') } }
        $result = Invoke-ImportedModel $claude -Prompt 'Use get_weather for Tokyo' -Tool $weather -Stream:$Stream 6>$null
        $result.StopReason | Should -Be 'tool_calls'
        $result.ToolCalls | Should -HaveCount 1
        $result.ToolCalls[0].Name | Should -Be 'get_weather'
        $result.ToolCalls[0].Arguments.city | Should -Be 'Tokyo'
        $result.ToolCalls[0].Id | Should -Match '^tooluse_'
    }

    It '-ToolChoice decides: auto leaves a prompt that names no tool as text, any and a tool name make the model call one (stream <Stream>)' -ForEach @(
        @{ Stream = $false }, @{ Stream = $true }
    ) {
        $weather = @{ name = 'get_weather'; description = 'The current weather'; parameters = @{ type = 'object'; properties = @{ city = @{ type = 'string' } }; required = @('city') } }
        $time = @{ name = 'get_time'; description = 'The time'; parameters = @{ type = 'object'; properties = @{ zone = @{ type = 'string' } } } }
        $auto = Invoke-ImportedModel $claude -Prompt 'What is it like in Osaka?' -Tool $weather, $time -Stream:$Stream 6>$null
        $auto.ToolCalls | Should -HaveCount 0
        $auto.StopReason | Should -Not -Be 'tool_calls'

        $any = Invoke-ImportedModel $claude -Prompt 'What is it like in Osaka?' -Tool $weather, $time -ToolChoice any -Stream:$Stream 6>$null
        $any.StopReason | Should -Be 'tool_calls'
        $any.ToolCalls | Should -HaveCount 1

        $named = Invoke-ImportedModel $claude -Prompt 'What is it like in Osaka?' -Tool $weather, $time -ToolChoice get_time -Stream:$Stream 6>$null
        $named.ToolCalls.Name | Should -Be 'get_time'
    }

    It '-ToolChoice without -Tool, or naming no given tool, is refused' {
        { Invoke-ImportedModel $claude -Prompt 'hi' -ToolChoice any -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidArgument,BedrockImport.Cmdlets.InvokeImportedModelCommand'
        $weather = @{ name = 'get_weather'; parameters = @{ type = 'object'; properties = @{} } }
        { Invoke-ImportedModel $claude -Prompt 'hi' -Tool $weather -ToolChoice other_tool -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidArgument,BedrockImport.Cmdlets.InvokeImportedModelCommand'
    }
}
