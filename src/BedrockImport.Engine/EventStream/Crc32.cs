namespace BedrockImport.Engine.EventStream
{
    /// <summary>CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), as used by the event-stream framing.</summary>
    internal static class Crc32
    {
        private static readonly uint[] Table = BuildTable();

        private static uint[] BuildTable()
        {
            var table = new uint[256];
            for (uint i = 0; i < 256; i++)
            {
                var value = i;
                for (var bit = 0; bit < 8; bit++)
                {
                    value = (value & 1) != 0 ? 0xEDB88320u ^ (value >> 1) : value >> 1;
                }

                table[i] = value;
            }

            return table;
        }

        public static uint Compute(byte[] data, int offset, int count) => Append(0, data, offset, count);

        /// <summary>Continues a CRC over more bytes: Append(Compute(a), b) == Compute(a + b).</summary>
        public static uint Append(uint crc, byte[] data, int offset, int count)
        {
            var value = ~crc;
            var end = offset + count;
            for (var i = offset; i < end; i++)
            {
                value = Table[(value ^ data[i]) & 0xFF] ^ (value >> 8);
            }

            return ~value;
        }
    }
}
