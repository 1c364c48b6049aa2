-- cnn_lut: an elementwise layer as a 256-entry table: out = TABLE(in) for
-- every beat, the input byte read as an unsigned index 0..255 (the int8 x is
-- the index x mod 256: 0..127 are x >= 0, 128..255 are x = index - 256).
-- TABLE holds int8 values (-128..127); gen/ops/lut.cpp builds it as
-- onnxruntime builds its lookup tables (LeakyRelu, HardSigmoid, HardSwish).
--
-- The table is a constant array (a ROM) addressed by the input byte and read
-- into a register with a read enable (a synchronous read): the form that
-- synthesis maps to a block RAM or to a LUT ROM with its output register,
-- never a `case` (GHDL 2.0's Verilog writer turns a `case` table into C++
-- that explodes in Verilator).
--
-- Cycle model: cycles per image = H * W * C (beats per image; one per cycle).
-- Latency: 2 cycles (the ROM read register, then cnn_skid).
-- Throughput: 1 beat per cycle, also under backpressure once it lifts.
-- Backpressure: the read register holds its word (read enable low) while the
-- skid buffer behind it is full; in_ready = read register empty or skid
-- buffer not full, a function of registers only (no path from out_ready).
-- Resources: one 256 x 8 ROM; 9 flip-flops of read register, the skid
-- buffer's 18. Yosys 0.23 synth_xilinx on GHDL's Verilog (a random table):
-- a LUT ROM, 40 LUT6 + 16 MUXF7 + 8 MUXF8 + 5 small LUTs and 27 FDRE, no
-- block RAM (2 Kbit is below its threshold); with rom_style "block" on the
-- memory, 1 RAMB18E1 that absorbs the read register (19 FDRE, 13 LUTs, 8 INV).
library ieee;
use ieee.std_logic_1164.all;
use ieee.numeric_std.all;
use work.cnn_pkg.all;

entity cnn_lut is
  generic (
    TABLE : int_array    -- 256 entries, -128..127; TABLE(TABLE'low + i) is y for the byte i
  );
  port (
    clk       : in  std_logic;
    rst       : in  std_logic;
    in_valid  : in  std_logic;
    in_ready  : out std_logic;
    in_data   : in  std_logic_vector(7 downto 0);
    out_valid : out std_logic;
    out_ready : in  std_logic;
    out_data  : out std_logic_vector(7 downto 0)
  );
end entity;

architecture rtl of cnn_lut is
  subtype word_t is std_logic_vector(7 downto 0);
  type rom_t is array (0 to 255) of word_t;

  function in_range(t : int_array) return boolean is
  begin
    for i in t'range loop
      if t(i) < -128 or t(i) > 127 then
        return false;
      end if;
    end loop;
    return true;
  end function;

  function build_rom(t : int_array) return rom_t is
    variable r : rom_t;
  begin
    for i in 0 to 255 loop
      r(i) := std_logic_vector(to_signed(t(t'low + i), 8));
    end loop;
    return r;
  end function;

  constant ROM : rom_t := build_rom(TABLE);

  signal q       : word_t := (others => '0');   -- the ROM's read register
  signal q_valid : std_logic := '0';
  signal s_ready : std_logic;
  signal advance : std_logic;
begin
  assert TABLE'length = 256 report "cnn_lut: TABLE must have 256 entries" severity failure;
  assert in_range(TABLE) report "cnn_lut: TABLE values must be -128..127" severity failure;

  -- The read register takes a new word when it is empty or the skid buffer
  -- takes its word this cycle.
  advance  <= (not q_valid) or s_ready;
  in_ready <= advance;

  process (clk)
  begin
    if rising_edge(clk) then
      if advance = '1' then
        q       <= ROM(to_integer(unsigned(in_data)));
        q_valid <= in_valid;
      end if;
      if rst = '1' then
        q_valid <= '0';
      end if;
    end if;
  end process;

  u_out : entity work.cnn_skid
    generic map (WIDTH => 8)
    port map (clk => clk, rst => rst,
              in_valid => q_valid, in_ready => s_ready, in_data => q,
              out_valid => out_valid, out_ready => out_ready, out_data => out_data);
end architecture;
