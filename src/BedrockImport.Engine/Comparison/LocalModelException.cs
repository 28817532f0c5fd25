using BedrockImport.Engine.Errors;

namespace BedrockImport.Engine.Comparison;

/// <summary>The local side of a comparison refused the model folder: its id is the local endpoint's code
/// (ModelFolderNotAModel, UnsupportedArchitecture) or LocalEngineFailed when the weights would not load or answer.</summary>
public sealed class LocalModelException : Exception, IEngineError
{
    public const string FolderNotAModel = "ModelFolderNotAModel";
    public const string UnsupportedArchitecture = "UnsupportedArchitecture";
    public const string LocalEngineFailed = "LocalEngineFailed";

    public LocalModelException(string errorId, string message, Exception? inner = null) : base(message, inner)
    {
        ErrorId = errorId;
    }

    public string ErrorId { get; }

    public ErrorKind Kind => ErrorId switch
    {
        FolderNotAModel => ErrorKind.Invalid,
        UnsupportedArchitecture => ErrorKind.InvalidData,
        _ => ErrorKind.Unavailable,
    };
}
