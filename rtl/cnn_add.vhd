-- cnn_add: the join of a residual block, y = a + b of two int8 streams of
-- the same tensor (same shape, same HWC order). One beat of a and one beat of
-- b are consumed together, only when both are valid and the pipeline can
-- take a result; one result comes out per pair. Two modes (MODE_TABLE):
--
-- MODE_TABLE = false, the power-of-two case, exact:
--   y = clamp(RNE(((a - ZP_A) * 2^SHIFT_A + (b - ZP_B) * 2^SHIFT_B) / 2^SHIFT)
--             + ZP_OUT, CLAMP_LO, CLAMP_HI)
--   a, b int8; ZP_A, ZP_B, ZP_OUT in -128..127; SHIFT_A, SHIFT_B in 0..15;
--   SHIFT in -8..24 (negative: an exact left shift by -SHIFT); RNE = round
--   half to even; -128 <= CLAMP_LO <= CLAMP_HI <= 127.
--   Widths: a - ZP_A and b - ZP_B are in -255..255 (9 bits signed); shifted
--   they are below 255 * 2^15 < 2^23 in magnitude, their sum below 2^24: the
--   sum register is SUM_W = 26 bits signed (one spare). The output stage is
--   cnn_pkg.requant_zp with ACT_NONE: the rounding right shift (slices, no
--   signed shift_right, README "Traps") or left shift (at most 26 + 8 = 34
--   bits), saturated to 10 bits (exact: |r| >= 512 is beyond either clamp
--   after + ZP_OUT), + ZP_OUT in 11 bits, clamp. No intermediate overflows.
--
-- MODE_TABLE = true, any float scales: y = TABLE(TABLE'low + ua * 256 + ub),
--   ua, ub the input bytes read unsigned (0..255); TABLE holds 65536 int8
--   values (gen builds it from onnxruntime's arithmetic and passes a package
--   constant, as for cnn_lut). The table is a 64K x 8 ROM addressed by
--   a_data & b_data and read into a register with a read enable (a
--   synchronous read): synthesis maps it to block RAM by its size alone.
--   (No rom_style attribute: GHDL 2.0 drops attributes of constants from its
--   netlist, "not kept", and Yosys picks block RAM without it.)
--   The shift generics are unused; TABLE's default (one entry) is unused in
--   shift mode, where the ROM is not built at all (a generate branch).
--
-- Cycle model: cycles per image = beats per image (one result per cycle).
-- Latency: 2 cycles (the first register: the sum, or the ROM read; then
-- cnn_skid, whose input in shift mode is the rounding of the sum).
-- Throughput: 1 result per cycle, also under backpressure once it lifts.
-- Backpressure: the first register holds (read enable low) while the skid
-- buffer behind it is full. a_ready = b_valid and room, b_ready = a_valid and
-- room, room = first register empty or skid buffer not full (registers
-- only): no path from out_ready to a_ready/b_ready; each ready depends on the
-- other stream's valid (a pair transfers together, AXI allows ready to wait
-- for valid). out_valid/out_data come from flip-flops.
-- Resources (Yosys 0.23 `synth_xilinx -flatten -noiopad` on GHDL's Verilog,
-- rtl/flow/ghdl2v.sh; LUT = LUT1..LUT6, FF = FDRE):
--   shift, ZP 0, SHIFT 1 (an average)              84 LUT, 45 FF, 14 CARRY4, 0 DSP
--   shift, ZP 3/-20, SHIFT_A 3, SHIFT_B 7, SHIFT 8,
--     ZP_OUT 10, CLAMP_LO 10 (a Relu)              71 LUT, 42 FF, 20 CARRY4, 0 DSP
--   shift, SHIFT_A = SHIFT_B = 15, SHIFT 24        67 LUT, 30 FF, 19 CARRY4, 0 DSP
--   table (a random 64K table, tests/tb_add_wrap)  29 RAMB18E1 (the 512 Kbit
--     ROM and its read register; 29 x 18 Kbit: the parity bits hold data),
--     124 LUT + 30 MUXF7 (the read mux), 24 FF, 0 DSP.
-- (Yosys 0.23's read_verilog had not finished GHDL's 65536-line `initial`
-- of the table after 15 minutes; for the figure that init was rewritten to
-- a $readmemb file of the same words.)
library ieee;
use ieee.std_logic_1164.all;
use ieee.numeric_std.all;
use work.cnn_pkg.all;

entity cnn_add is
  generic (
    MODE_TABLE : boolean   := false;
    TABLE      : int_array := (0 => 0);  -- MODE_TABLE: 65536 entries, -128..127
    ZP_A       : integer   := 0;
    ZP_B       : integer   := 0;
    SHIFT_A    : natural   := 0;
    SHIFT_B    : natural   := 0;
    SHIFT      : integer   := 0;
    ZP_OUT     : integer   := 0;
    CLAMP_LO   : integer   := -128;
    CLAMP_HI   : integer   := 127
  );
  port (
    clk       : in  std_logic;
    rst       : in  std_logic;
    a_valid   : in  std_logic;
    a_ready   : out std_logic;
    a_data    : in  std_logic_vector(7 downto 0);
    b_valid   : in  std_logic;
    b_ready   : out std_logic;
    b_data    : in  std_logic_vector(7 downto 0);
    out_valid : out std_logic;
    out_ready : in  std_logic;
    out_data  : out std_logic_vector(7 downto 0)
  );
end entity;

architecture rtl of cnn_add is
  constant SUM_W : positive := max_int(26, SHIFT + 2);

  subtype word_t is std_logic_vector(7 downto 0);
  type rom_t is array (0 to 65535) of word_t;

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
    assert t'length = 65536 report "cnn_add: TABLE must have 65536 entries" severity failure;
    for i in 0 to 65535 loop
      r(i) := std_logic_vector(to_signed(t(t'low + i), 8));
    end loop;
    return r;
  end function;

  -- (x - zp) * 2^sh in SUM_W bits, x int8: the left shift as a slice.
  function offset_shl(x : std_logic_vector(7 downto 0); zp : integer; sh : natural) return signed is
    variable d : signed(9 downto 0);
    variable t : signed(SUM_W - 1 downto 0) := (others => '0');
  begin
    d := resize(signed(x), 10) - to_signed(zp, 10);
    t(SUM_W - 1 downto sh) := resize(d, SUM_W - sh);
    return t;
  end function;

  signal s1_valid : std_logic := '0';   -- the first register (sum / ROM word) holds a pair
  signal y1       : word_t;             -- the result of the first register's pair
  signal s_ready  : std_logic;
  signal advance  : std_logic;
begin
  assert ZP_A >= -128 and ZP_A <= 127 and ZP_B >= -128 and ZP_B <= 127
    report "cnn_add: ZP_A and ZP_B must be -128..127" severity failure;
  assert ZP_OUT >= -128 and ZP_OUT <= 127
    report "cnn_add: ZP_OUT must be -128..127" severity failure;
  assert SHIFT_A <= 15 and SHIFT_B <= 15
    report "cnn_add: SHIFT_A and SHIFT_B must be 0..15" severity failure;
  assert SHIFT >= -8 and SHIFT <= 24
    report "cnn_add: SHIFT must be -8..24" severity failure;
  assert CLAMP_LO >= -128 and CLAMP_LO <= CLAMP_HI and CLAMP_HI <= 127
    report "cnn_add: need -128 <= CLAMP_LO <= CLAMP_HI <= 127" severity failure;

  -- The first register takes a new pair when it is empty or the skid buffer
  -- takes its result this cycle.
  advance <= (not s1_valid) or s_ready;
  a_ready <= b_valid and advance;
  b_ready <= a_valid and advance;

  process (clk)
  begin
    if rising_edge(clk) then
      if advance = '1' then
        s1_valid <= a_valid and b_valid;
      end if;
      if rst = '1' then
        s1_valid <= '0';
      end if;
    end if;
  end process;

  g_shift : if not MODE_TABLE generate
    signal sum : signed(SUM_W - 1 downto 0) := (others => '0');
  begin
    process (clk)
    begin
      if rising_edge(clk) then
        if advance = '1' then
          sum <= offset_shl(a_data, ZP_A, SHIFT_A) + offset_shl(b_data, ZP_B, SHIFT_B);
        end if;
      end if;
    end process;
    y1 <= std_logic_vector(requant_zp(sum, SHIFT, ACT_NONE, 0, ZP_OUT, CLAMP_LO, CLAMP_HI));
  end generate;

  g_table : if MODE_TABLE generate
    constant ROM : rom_t := build_rom(TABLE);
    signal q : word_t := (others => '0');   -- the ROM's read register
  begin
    assert in_range(TABLE) report "cnn_add: TABLE values must be -128..127" severity failure;
    process (clk)
    begin
      if rising_edge(clk) then
        if advance = '1' then
          q <= ROM(to_integer(unsigned(std_logic_vector'(a_data & b_data))));
        end if;
      end if;
    end process;
    y1 <= q;
  end generate;

  u_out : entity work.cnn_skid
    generic map (WIDTH => 8)
    port map (clk => clk, rst => rst,
              in_valid => s1_valid, in_ready => s_ready, in_data => y1,
              out_valid => out_valid, out_ready => out_ready, out_data => out_data);
end architecture;
