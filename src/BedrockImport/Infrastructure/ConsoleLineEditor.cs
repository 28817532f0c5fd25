using System.Globalization;
using System.Text;

namespace BedrockImport.Infrastructure;

/// <summary>How many terminal columns text takes: East Asian Wide and Fullwidth characters two, combining marks and
/// format characters none, everything else one. A small table, not all of Unicode's EastAsianWidth.txt: the CJK,
/// Hangul, kana, fullwidth and common emoji blocks, which is what a chat is typed in.</summary>
internal static class TerminalWidth
{
    // Inclusive code point ranges of two-column characters, sorted.
    private static readonly int[] WideRanges =
    {
        0x1100, 0x115F, // Hangul Jamo initial consonants
        0x231A, 0x231B, 0x2329, 0x232A, 0x23E9, 0x23EC, 0x23F0, 0x23F0, 0x23F3, 0x23F3,
        0x25FD, 0x25FE, 0x2614, 0x2615, 0x2648, 0x2653, 0x267F, 0x267F, 0x2693, 0x2693, 0x26A1, 0x26A1,
        0x26AA, 0x26AB, 0x26BD, 0x26BE, 0x26C4, 0x26C5, 0x26CE, 0x26CE, 0x26D4, 0x26D4, 0x26EA, 0x26EA,
        0x26F2, 0x26F3, 0x26F5, 0x26F5, 0x26FA, 0x26FA, 0x26FD, 0x26FD, 0x2705, 0x2705, 0x270A, 0x270B,
        0x2728, 0x2728, 0x274C, 0x274C, 0x274E, 0x274E, 0x2753, 0x2755, 0x2757, 0x2757, 0x2795, 0x2797,
        0x27B0, 0x27B0, 0x27BF, 0x27BF, 0x2B1B, 0x2B1C, 0x2B50, 0x2B50, 0x2B55, 0x2B55,
        0x2E80, 0x303E, // CJK radicals, Kangxi radicals, ideographic description, CJK symbols and punctuation
        0x3041, 0x33FF, // Hiragana, Katakana, Bopomofo, Hangul compatibility Jamo, Kanbun, CJK strokes, enclosed CJK
        0x3400, 0x4DBF, // CJK Unified Ideographs Extension A
        0x4E00, 0x9FFF, // CJK Unified Ideographs
        0xA000, 0xA4CF, // Yi
        0xA960, 0xA97F, // Hangul Jamo Extended-A
        0xAC00, 0xD7A3, // Hangul Syllables
        0xF900, 0xFAFF, // CJK Compatibility Ideographs
        0xFE10, 0xFE19, // Vertical forms
        0xFE30, 0xFE6F, // CJK compatibility forms, small form variants
        0xFF00, 0xFF60, // Fullwidth forms
        0xFFE0, 0xFFE6, // Fullwidth signs
        0x16FE0, 0x16FE4, 0x17000, 0x18CFF, // Tangut, Khitan
        0x1B000, 0x1B2FF, // Kana supplement and extensions, Nushu
        0x1F004, 0x1F004, 0x1F0CF, 0x1F0CF, 0x1F18E, 0x1F18E, 0x1F191, 0x1F19A, 0x1F200, 0x1F2FF,
        0x1F300, 0x1F64F, // Miscellaneous symbols and pictographs, emoticons
        0x1F680, 0x1F6FF, // Transport and map symbols
        0x1F7E0, 0x1F7EB, 0x1F90C, 0x1F9FF, 0x1FA70, 0x1FAFF,
        0x20000, 0x2FFFD, 0x30000, 0x3FFFD, // CJK Unified Ideographs Extensions B and beyond
    };

    /// <summary>The columns of the code point at <paramref name="index"/> (a surrogate pair counts as one).</summary>
    public static int OfCodePoint(string text, int index)
    {
        var category = CharUnicodeInfo.GetUnicodeCategory(text, index);
        if (category == UnicodeCategory.NonSpacingMark || category == UnicodeCategory.EnclosingMark || category == UnicodeCategory.Format)
        {
            return 0;
        }

        var codePoint = char.ConvertToUtf32(text, index);
        if (codePoint >= 0x1160 && codePoint <= 0x11FF)
        {
            return 0; // Hangul medial vowels and final consonants join the syllable before them
        }

        return IsWide(codePoint) ? 2 : 1;
    }

    /// <summary>The columns of a whole string.</summary>
    public static int Of(string text)
    {
        var width = 0;
        for (var i = 0; i < text.Length; i += char.IsSurrogatePair(text, i) ? 2 : 1)
        {
            width += OfCodePoint(text, i);
        }

        return width;
    }

    /// <summary>Whether the code point at <paramref name="index"/> joins the character before it (takes no column).</summary>
    public static bool Combines(string text, int index) => OfCodePoint(text, index) == 0;

    private static bool IsWide(int codePoint)
    {
        if (codePoint < WideRanges[0])
        {
            return false;
        }

        int low = 0, high = WideRanges.Length / 2 - 1;
        while (low <= high)
        {
            var middle = (low + high) / 2;
            if (codePoint < WideRanges[middle * 2])
            {
                high = middle - 1;
            }
            else if (codePoint > WideRanges[middle * 2 + 1])
            {
                low = middle + 1;
            }
            else
            {
                return true;
            }
        }

        return false;
    }
}

/// <summary>A one-line editor on the console for when PSReadLine is not loaded: the line is kept as characters (a
/// surrogate pair or a base with its combining marks is one) and redrawn from where it started, column-accurately, so
/// Backspace on a two-column character erases both columns. Left/Right/Home/End move, Delete deletes, Up/Down walk the
/// lines entered before. Ctrl+C and Ctrl+D are the caller's (see <see cref="ReadLine"/>).</summary>
internal sealed class ConsoleLineEditor
{
    private readonly List<string> _history = new List<string>();

    /// <summary>What ReadLine returned when the user pressed Ctrl+C.</summary>
    public static readonly string Interrupted = new string('\u0003', 1);

    /// <summary>Reads a line; null on Ctrl+D at an empty line, <see cref="Interrupted"/> on Ctrl+C.</summary>
    public string? ReadLine()
    {
        var line = new Line(Console.CursorLeft, Console.CursorTop);
        var historyIndex = _history.Count;
        var draft = "";
        char? pendingHighSurrogate = null;
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            var control = (key.Modifiers & ConsoleModifiers.Control) != 0;
            if (control && key.Key == ConsoleKey.C)
            {
                line.MoveToEnd();
                Console.WriteLine();
                return Interrupted;
            }

            if (control && key.Key == ConsoleKey.D && line.IsEmpty)
            {
                Console.WriteLine();
                return null;
            }

            switch (key.Key)
            {
                case ConsoleKey.Enter:
                    line.MoveToEnd();
                    Console.WriteLine();
                    var text = line.Text;
                    if (text.Trim().Length > 0 && (_history.Count == 0 || _history[_history.Count - 1] != text))
                    {
                        _history.Add(text);
                    }

                    return text;
                case ConsoleKey.Backspace:
                    line.Backspace();
                    break;
                case ConsoleKey.Delete:
                    line.Delete();
                    break;
                case ConsoleKey.LeftArrow:
                    line.Move(-1);
                    break;
                case ConsoleKey.RightArrow:
                    line.Move(1);
                    break;
                case ConsoleKey.Home:
                    line.Move(int.MinValue / 2);
                    break;
                case ConsoleKey.End:
                    line.MoveToEnd();
                    break;
                case ConsoleKey.A when control:
                    line.Move(int.MinValue / 2);
                    break;
                case ConsoleKey.E when control:
                    line.MoveToEnd();
                    break;
                case ConsoleKey.Escape:
                    line.Replace("");
                    break;
                case ConsoleKey.UpArrow when historyIndex > 0:
                    if (historyIndex == _history.Count)
                    {
                        draft = line.Text;
                    }

                    line.Replace(_history[--historyIndex]);
                    break;
                case ConsoleKey.DownArrow when historyIndex < _history.Count:
                    historyIndex++;
                    line.Replace(historyIndex == _history.Count ? draft : _history[historyIndex]);
                    break;
                default:
                    var c = key.KeyChar;
                    if (char.IsHighSurrogate(c))
                    {
                        pendingHighSurrogate = c;
                    }
                    else if (char.IsLowSurrogate(c))
                    {
                        if (pendingHighSurrogate != null)
                        {
                            line.Insert(new string(new[] { pendingHighSurrogate.Value, c }));
                        }

                        pendingHighSurrogate = null;
                    }
                    else if (c != '\0' && !char.IsControl(c))
                    {
                        pendingHighSurrogate = null;
                        line.Insert(c.ToString());
                    }

                    break;
            }
        }
    }

    /// <summary>The characters being edited, the cursor among them, and where on screen they were drawn.</summary>
    private sealed class Line
    {
        private readonly List<string> _characters = new List<string>();
        private readonly int _startLeft;
        private int _startTop;
        private int _cursor;
        private int _drawnEndOffset;

        public Line(int startLeft, int startTop)
        {
            _startLeft = startLeft;
            _startTop = startTop;
            _drawnEndOffset = startLeft;
        }

        public bool IsEmpty => _characters.Count == 0;

        public string Text => string.Concat(_characters);

        public void Insert(string character) => Insert(character, draw: true);

        public void Backspace()
        {
            if (_cursor > 0)
            {
                _characters.RemoveAt(--_cursor);
                Draw();
            }
        }

        public void Delete()
        {
            if (_cursor < _characters.Count)
            {
                _characters.RemoveAt(_cursor);
                Draw();
            }
        }

        public void Move(int by)
        {
            var target = Math.Max(0, Math.Min(_characters.Count, _cursor + by));
            if (target != _cursor)
            {
                _cursor = target;
                PlaceCursor(Layout().Offsets);
            }
        }

        public void MoveToEnd() => Move(_characters.Count);

        public void Replace(string text)
        {
            _characters.Clear();
            _cursor = 0;
            foreach (var character in Split(text))
            {
                Insert(character, draw: false);
            }

            Draw();
        }

        private void Insert(string character, bool draw)
        {
            if (TerminalWidth.Combines(character, 0) && _cursor > 0)
            {
                _characters[_cursor - 1] += character;
            }
            else
            {
                _characters.Insert(_cursor++, character);
            }

            if (draw)
            {
                Draw();
            }
        }

        private static IEnumerable<string> Split(string text)
        {
            for (var i = 0; i < text.Length; i += char.IsSurrogatePair(text, i) ? 2 : 1)
            {
                yield return text.Substring(i, char.IsSurrogatePair(text, i) ? 2 : 1);
            }
        }

        /// <summary>Where each character starts and the line ends, as cell offsets from the start of the screen row the
        /// line began on (row * width + column). A two-column character that would not fit at a row's end goes to the next
        /// row, as terminals do.</summary>
        private (int[] Offsets, int End) Layout()
        {
            var width = Math.Max(1, Console.BufferWidth);
            var offsets = new int[_characters.Count + 1];
            var at = _startLeft;
            for (var i = 0; i < _characters.Count; i++)
            {
                var columns = TerminalWidth.Of(_characters[i]);
                var column = at % width;
                if (columns > 1 && column + columns > width)
                {
                    at += width - column;
                }

                offsets[i] = at;
                at += columns;
            }

            offsets[_characters.Count] = at;
            return (offsets, at);
        }

        private void Draw()
        {
            var width = Math.Max(1, Console.BufferWidth);
            var (offsets, end) = Layout();
            SetCursor(_startLeft);
            var text = new StringBuilder();
            for (var i = 0; i < _characters.Count; i++)
            {
                // A two-column character pushed to the next row: the skipped cell is blanked, as the terminal would leave it.
                var gap = offsets[i] - (i == 0 ? _startLeft : offsets[i - 1] + TerminalWidth.Of(_characters[i - 1]));
                text.Append(' ', gap);
                text.Append(_characters[i]);
            }

            text.Append(' ', Math.Max(0, _drawnEndOffset - end));
            Console.Write(text.ToString());
            // Writing past the bottom row scrolled the screen up: the line now starts higher.
            var lastRow = _startTop + (Math.Max(end, _drawnEndOffset) - 1) / width;
            var bottom = Console.BufferHeight - 1;
            if (lastRow > bottom)
            {
                _startTop -= lastRow - bottom;
            }

            _drawnEndOffset = end;
            PlaceCursor(offsets);
        }

        private void PlaceCursor(int[] offsets) => SetCursor(offsets[_cursor]);

        private void SetCursor(int offset)
        {
            var width = Math.Max(1, Console.BufferWidth);
            var row = _startTop + offset / width;
            var bottom = Console.BufferHeight - 1;
            if (row > bottom)
            {
                // The cursor sits just past a full last row: make the row below exist.
                Console.Write("\n");
                _startTop -= row - bottom;
                row = bottom;
            }

            Console.SetCursorPosition(offset % width, Math.Max(0, row));
        }
    }
}
