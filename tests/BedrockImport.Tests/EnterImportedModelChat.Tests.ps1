BeforeAll {
    Import-Module $env:BEDROCKIMPORT_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'TestEndpoint.psm1') -Force
    $script:endpoint = Start-TestEndpoint -DataPath (Join-Path $TestDrive 'endpoint')
    Set-TestKnobs $endpoint
    $folder = Join-Path $TestDrive 'chat-model'
    New-BedrockSampleModel -Path $folder -ShardCount 1 -ChatTemplate -Response @{ 'capital of France' = 'Paris.' } | Out-Null
    $script:model = Copy-BedrockModelSource $folder 's3://chat/model/' -CreateBucket |
        Start-BedrockModelImport -ModelName chatmodel -RoleArn 'arn:aws:iam::123456789012:role/Chat' | Wait-BedrockImportJob

    # Drives the chat in a fresh pwsh with standard input redirected, as a script or a test host would.
    function Invoke-Chat([string[]] $Lines, [string] $Extra = '') { Invoke-TestChat $endpoint chatmodel $Lines $Extra }
}

AfterAll {
    Stop-BedrockLocalEndpoint
    $global:PSDefaultParameterValues = @{}
}

Describe 'Enter-ImportedModelChat' -Tag 'CI' {
    AfterEach { Set-TestKnobs $endpoint }

    It 'keeps history, applies /temperature and /system, takes multi-line input and saves the conversation' {
        $saved = Join-Path $TestDrive 'conversation.json'
        $chat = Invoke-Chat @(
            'What is the capital of France?'
            '/temperature 0.2'
            '/system Answer in one word.'
            '"""'
            'first line'
            'second line'
            '"""'
            "/save $saved"
            '/bye'
        ) -Extra '-MaxTokens 20'
        $chat.ExitCode | Should -Be 0
        $chat.Output | Should -Match 'Paris\.'
        $chat.Output | Should -Match 'Temperature set to 0\.2'
        $chat.Output | Should -Match 'Bye\.'
        $conversation = Get-Content $saved -Raw | ConvertFrom-Json
        $conversation.temperature | Should -Be 0.2
        $conversation.system | Should -Be 'Answer in one word.'
        $conversation.messages.role | Should -Be @('user', 'assistant', 'user', 'assistant')
        $conversation.messages[0].content | Should -Be 'What is the capital of France?'
        $conversation.messages[1].content | Should -Be 'Paris.'
        $conversation.messages[2].content | Should -Be "first line`nsecond line"
    }

    It 'sends the history with each message (the template renders every turn)' {
        $saved = Join-Path $TestDrive 'history.json'
        Invoke-RestMethod "$($endpoint.EndpointUrl)/_admin/stats" -Method Delete | Out-Null
        $chat = Invoke-Chat @('What is the capital of France?', 'And again?', '/clear', 'Fresh start', "/save $saved", '/bye') -Extra '-MaxTokens 5'
        $chat.ExitCode | Should -Be 0
        Get-TestCallCount $endpoint 'bedrock:InvokeModelWithResponseStream' | Should -Be 3
        $conversation = Get-Content $saved -Raw | ConvertFrom-Json
        $conversation.messages | Should -HaveCount 2
        $conversation.messages[0].content | Should -Be 'Fresh start'
    }

    It 'stops the current reply on Ctrl+C without leaving, keeping what was shown' {
        Set-TestKnobs $endpoint -Bedrock @{ perTokenLatencyMs = 100 }
        $saved = Join-Path $TestDrive 'stopped.json'
        $chat = Invoke-Chat @('Tell me a very long story', [string][char]3, "/save $saved", '/bye') -Extra '-MaxTokens 300'
        $chat.ExitCode | Should -Be 0
        $chat.Output | Should -Match '\[reply stopped\]'
        $chat.Output | Should -Match 'Bye\.'
        $conversation = Get-Content $saved -Raw | ConvertFrom-Json
        $conversation.messages | Should -HaveCount 2
        # 300 tokens at 100 ms would take 30 s; the reply was cut after a few.
        ($conversation.messages[1].content -split '\s+').Count | Should -BeLessThan 100
    }

    It 'answers an unknown command with the list of commands' {
        $chat = Invoke-Chat @('/frobnicate', '/bye')
        $chat.Output | Should -Match 'Unknown command /frobnicate'
        $chat.Output | Should -Match '/temperature'
    }
}
