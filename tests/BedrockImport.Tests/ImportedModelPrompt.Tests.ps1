BeforeAll {
    Import-Module $env:BEDROCKIMPORT_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'TestEndpoint.psm1') -Force
    $script:endpoint = Start-TestEndpoint -DataPath (Join-Path $TestDrive 'endpoint')
    Set-TestKnobs $endpoint

    # A sample model whose template is the Llama 3.1-style one with a tools section (the engine's reference fixture).
    $script:folder = Join-Path $TestDrive 'tool-model'
    New-BedrockSampleModel -Path $folder -ShardCount 1 -ChatTemplate -Response @{ 'capital of France' = 'Paris.' } | Out-Null
    $template = Join-Path $PSScriptRoot '..' 'BedrockImport.Engine.Tests' 'Invocation' 'ToolTemplates' 'llama31.jinja'
    Copy-Item $template (Join-Path $folder 'chat_template.jinja') -Force
    $script:bos = (Get-Content (Join-Path $folder 'tokenizer_config.json') -Raw | ConvertFrom-Json).bos_token
    if ($bos -isnot [string]) { $script:bos = $bos.content }
    $script:model = Copy-BedrockModelSource $folder 's3://prompts/model/' -CreateBucket |
        Start-BedrockModelImport -ModelName promptmodel -RoleArn 'arn:aws:iam::123456789012:role/Prompt' | Wait-BedrockImportJob

    $script:weather = @{
        type = 'function'
        function = @{ name = 'get_weather'; description = 'The current weather'; parameters = @{ type = 'object'; properties = @{ city = @{ type = 'string' } }; required = @('city') } }
    }
    $script:messages = @(@{ role = 'system'; content = 'Be brief.' }, @{ role = 'user'; content = 'What is the capital of France?' })
}

AfterAll {
    Stop-BedrockLocalEndpoint
    $global:PSDefaultParameterValues = @{}
}

Describe 'Get-ImportedModelPrompt' -Tag 'CI' {
    It 'renders a local folder''s template with tools, the generation prompt on and the bos_token dropped' {
        $prompt = Get-ImportedModelPrompt -Path $folder -Messages $messages -Tool $weather

        $prompt.TemplateSource | Should -Be (Join-Path $folder 'chat_template.jinja')
        $prompt.BosToken | Should -Be $bos
        $prompt.BosTokenDropped | Should -BeTrue
        $prompt.Prompt | Should -Not -BeLike "$bos*"
        $prompt.Prompt | Should -Match 'Environment: ipython'
        $prompt.Prompt | Should -Match '"name": "get_weather"'
        $prompt.Prompt | Should -BeLike '*<|start_header_id|>assistant<|end_header_id|>*'
        $prompt.Tools | Should -Be @('get_weather')
        ($prompt.Body | ConvertFrom-Json).prompt | Should -Be $prompt.Prompt

        $raw = Get-ImportedModelPrompt -Path $folder -Messages $messages -Tool $weather -AddGenerationPrompt $false -KeepBosToken
        $raw.Prompt | Should -BeLike "$bos*"
        $raw.BosTokenDropped | Should -BeFalse
        $raw.Prompt | Should -Not -BeLike '*<|start_header_id|>assistant<|end_header_id|>*'
        $prompt.Prompt | Should -Be ($raw.Prompt.Substring($bos.Length) + "<|start_header_id|>assistant<|end_header_id|>`n`n")
    }

    It 'gives the prompt Invoke-ImportedModel sends to the imported model, and its body answers as the conversation does' {
        $shown = Get-ImportedModelPrompt promptmodel -Messages $messages -Tool $weather
        $shown.TemplateSource | Should -Be 's3://prompts/model/chat_template.jinja'
        (Get-ImportedModelPrompt -Path $folder -Messages $messages -Tool $weather).Prompt | Should -Be $shown.Prompt

        $sent = Invoke-ImportedModel promptmodel -Messages $messages -Tool $weather
        $sent.Prompt | Should -Be $shown.Prompt
        $asBody = Invoke-ImportedModel promptmodel -Body $shown.Body
        $asBody.Completion | Should -Be $sent.Completion
        $asBody.InputTokens | Should -Be $sent.InputTokens

        # Without the tool the prompt is another one, so the tool really reached the template.
        (Invoke-ImportedModel promptmodel -Messages $messages).Prompt | Should -Not -Be $shown.Prompt

        # A lone prompt with tools is not rendered by the client: it goes out in the OpenAI chat format (help says so).
        $chat = Invoke-ImportedModel promptmodel -Prompt 'What is the capital of France?' -Tool $weather
        $chat.Raw.Contains('choices') | Should -BeTrue
        $chat.ToolCalls.Count | Should -Be 0
    }

    It 'takes tools as JSON strings and Converse toolSpec objects, and refuses malformed ones with the reason' {
        $json = '{"toolSpec":{"name":"get_weather","description":"The current weather","inputSchema":{"json":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}}}'
        $fromJson = Get-ImportedModelPrompt -Path $folder -Messages $messages -Tool $json
        $fromObject = Get-ImportedModelPrompt -Path $folder -Messages $messages -Tool ($json | ConvertFrom-Json)
        $fromJson.Tools | Should -Be @('get_weather')
        $fromObject.Prompt | Should -Be $fromJson.Prompt

        { Get-ImportedModelPrompt -Path $folder -Prompt 'Hi' -Tool @{ description = 'no name' } -ErrorAction Stop } |
            Should -Throw -ExpectedMessage '*has no name*'
        { Get-ImportedModelPrompt -Path $folder -Prompt 'Hi' -Tool @{ name = 'f'; parameters = 'object' } -ErrorAction Stop } |
            Should -Throw -ExpectedMessage '*must be a JSON object*'
    }

    It 'stops a hostile template in a model folder with ChatTemplateLimitExceeded, naming the folder and the limit (<Kind>)' -ForEach @(
        # A million iterations take a few seconds; on a loaded machine the 10 s clock may stop them first, which is as good.
        @{ Kind = 'nested loops over range(10**6)'; Template = '{% for i in range(10**6) %}{% for j in range(10**6) %}{% endfor %}{% endfor %}'; Limit = 'MaxLoopIterations|MaxRenderTime' }
        @{ Kind = 'a string doubled by a recursive macro'; Template = '{% macro grow(s, n) %}{% if n > 0 %}{{ grow(s ~ s, n - 1) }}{% else %}{{ s }}{% endif %}{% endmacro %}{{ grow("ab", 60) }}'; Limit = 'MaxOutputLength' }
        @{ Kind = 'macros calling each other without end'; Template = '{% macro a() %}{{ b() }}{% endmacro %}{% macro b() %}{{ a() }}{% endmacro %}{{ a() }}'; Limit = 'MaxNestingDepth' }
    ) {
        $hostile = Join-Path $TestDrive ('hostile-' + [guid]::NewGuid().ToString('n'))
        New-Item -ItemType Directory $hostile | Out-Null
        Set-Content -LiteralPath (Join-Path $hostile 'chat_template.jinja') -Value $Template -NoNewline
        $errorRecord = $null

        Get-ImportedModelPrompt -Path $hostile -Prompt 'Hi' -ErrorVariable errorRecord -ErrorAction SilentlyContinue

        $errorRecord.Count | Should -Be 1
        $errorRecord[0].FullyQualifiedErrorId | Should -Be 'ChatTemplateLimitExceeded,BedrockImport.Cmdlets.GetImportedModelPromptCommand'
        $errorRecord[0].CategoryInfo.Category | Should -Be 'InvalidData'
        $errorRecord[0].Exception.Message | Should -BeLike "*$hostile*"
        $errorRecord[0].Exception.Message | Should -Match "the ($Limit) limit"
    }

    It 'says ChatTemplateException for integer arithmetic past 64 bits and leaves Python internals undefined' {
        $folder64 = Join-Path $TestDrive 'overflow-model'
        New-Item -ItemType Directory $folder64 | Out-Null
        Set-Content -LiteralPath (Join-Path $folder64 'chat_template.jinja') -Value '{{ 10**100 }}' -NoNewline
        $errorRecord = $null

        Get-ImportedModelPrompt -Path $folder64 -Prompt 'Hi' -ErrorVariable errorRecord -ErrorAction SilentlyContinue

        $errorRecord[0].FullyQualifiedErrorId | Should -Be 'ChatTemplateException,BedrockImport.Cmdlets.GetImportedModelPromptCommand'
        $errorRecord[0].Exception.Message | Should -BeLike '*10 `*`* 100 does not fit in a 64-bit integer*'

        Set-Content -LiteralPath (Join-Path $folder64 'chat_template.jinja') -Value '[{{ messages.__class__.__init__.__globals__ }}{{ "".__class__.__mro__ }}]{{ messages[0].content }}' -NoNewline
        (Get-ImportedModelPrompt -Path $folder64 -Prompt 'Hi').Prompt | Should -Be '[]Hi'
    }

    It 'says ChatTemplateNotFound for a folder without a template' {
        $base = Join-Path $TestDrive 'base-model'
        New-BedrockSampleModel -Path $base -ShardCount 1 | Out-Null
        $errorRecord = $null
        Get-ImportedModelPrompt -Path $base -Prompt 'Hi' -ErrorVariable errorRecord -ErrorAction SilentlyContinue
        $errorRecord[0].FullyQualifiedErrorId | Should -BeLike 'ChatTemplateNotFound,*'
    }
}
