// Placeholder: the local endpoint host is being built (issue 3).
Console.Error.WriteLine("BedrockImport.LocalEndpoint: not built yet");
return 1;
