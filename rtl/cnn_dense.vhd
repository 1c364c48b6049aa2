-- cnn_dense: fully connected layer over a whole input tensor. Stream in:
-- N_IN beats per image (the tensor in stream order, int8, or uint8 when not
-- IN_SIGNED); stream out: N_OUT beats per image (int8):
--     y[o] = requant(BIAS[o] + sum_i x[i] * WEIGHTS[o*N_IN + i], SHIFT, ACT, LEAKY_K,
--                    CLAMP_HI)
-- or, with ZP_OUT / CLAMP_LO, clamp(requant's rounding + ZP_OUT, CLAMP_LO,
-- CLAMP_HI), or with REQUANT_F32 onnxruntime's float32 stage
--     y[o] = clamp(RNE(f32(f32(acc) * SCALES[o])) + ZP_OUT, CLAMP_LO, CLAMP_HI)
-- (cnn_mac / cnn_requant; SCALES: float32 bit patterns, one per output).
--
-- Structure: the input vector is stored in one of two banks (NG = ceil(N_IN /
-- PAR) words of PAR bytes each), so image n+1 is received while image n is
-- computed. The compute side issues one PAR-wide multiply per cycle (o
-- outer, word g inner), weights from a constant-array ROM at a linear
-- address; cnn_mac accumulates and requantises; a credit FIFO decouples the
-- output. Every ROM word (weights and biases) carries one extra top bit that
-- is always '1' and never read (a GHDL 2.0 workaround, see word types below).
--
-- Cycle model (no stalls from outside, images back to back), per image:
--     cycles/image = max(N_IN, N_OUT * NG)
-- (The same with REQUANT_F32: the output FIFO grows with the float stage's
-- 4 extra cycles, so the issue never waits for a credit at full rate.)
-- Latency (image into an idle block, no stalls): the first output beat is
-- valid N_IN + NG + 5 cycles after the first input beat is accepted (the
-- vector completes; NG issue cycles for y[0]; 5 stages: RAM/ROM read,
-- products, adder tree, accumulator, requant into the FIFO); + 4 with
-- REQUANT_F32 (cnn_requant's 5 stages for requant's 1).
--
-- Backpressure: out_ready low fills the output FIFO, then the issue stops
-- (credits); in_ready drops when both banks hold vectors not yet computed.
-- Nothing is lost or duplicated.
library ieee;
use ieee.std_logic_1164.all;
use ieee.numeric_std.all;
use work.cnn_pkg.all;

entity cnn_dense is
  generic (
    N_IN      : positive := 1;
    N_OUT     : positive := 1;
    PAR       : positive := 1;
    WEIGHTS   : int_array;           -- N_OUT*N_IN, [o][i], i in stream order, -128..127
    BIAS      : int_array;           -- N_OUT, int32
    SHIFT     : integer  := 0;
    ACT       : natural  := ACT_NONE;
    LEAKY_K   : natural  := 0;
    CLAMP_HI  : integer  := 127;     -- upper clamp of y (-128..127)
    IN_SIGNED : boolean  := true;
    CLAMP_LO  : integer  := -128;    -- lower clamp of y (-128..CLAMP_HI)
    ZP_OUT    : integer  := 0;       -- zero point of y
    REQUANT_F32 : boolean := false;  -- float32 output stage with SCALES
    SCALES    : int_array := (0 => 0)  -- REQUANT_F32: N_OUT float32 bit patterns (positive normal)
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

architecture rtl of cnn_dense is
  constant NG       : positive := ceil_div(N_IN, PAR);  -- words per vector
  constant LAST_POS : natural  := N_IN - 1 - (NG - 1) * PAR;  -- byte of the last beat
  constant NW       : positive := N_OUT * NG;           -- weight ROM words
  -- At least 2 ROM words: GHDL 2.0 folds a one-word ROM into a constant and
  -- writes constants wider than 32 bits as Verilog string literals ("0101..",
  -- read as ASCII); a real ROM is written correctly. Word NW is never read.
  constant NWR    : positive := max_int(NW, 2);
  constant NBR    : positive := max_int(N_OUT, 2);      -- bias ROM words (same reason)
  -- |x * w| < 2^15, N_IN terms, |bias| <= 2^31: never overflows.
  constant ACC_W    : positive := max_int(33, clog2(N_IN) + 17);
  function f32_extra return natural is
  begin
    if REQUANT_F32 then
      return 4;                                         -- cnn_requant: 5 cycles for 1
    end if;
    return 0;
  end function;
  constant FIFO_DEPTH : positive := 8 + f32_extra;      -- > issue-to-push latency (5 + 4)

  subtype word_t is std_logic_vector(PAR * 8 - 1 downto 0);
  type word_array is array (natural range <>) of word_t;
  -- ROM words carry one extra bit, always '1' (the top bit), never used:
  -- GHDL 2.0 folds some small ROMs that contain all-zero words (e.g. two
  -- 32-bit words, the second 0) into one constant and, when that constant is
  -- wider than 32 bits, makes it all zeros (wrong hardware, silently). No
  -- salted word is zero, and such ROMs stay real memories (checked over word
  -- widths 1..136 bits, 2..8 words, random and all-zero contents).
  subtype wrom_word_t is std_logic_vector(PAR * 8 downto 0);
  type wrom_array is array (natural range <>) of wrom_word_t;
  type bias_array is array (natural range <>) of std_logic_vector(32 downto 0);

  -- Weight ROM: word o*NG + g holds WEIGHTS[o][g*PAR + p] in byte p (zero
  -- beyond N_IN), the order of issue; bit 8*PAR is the salt.
  function build_wrom return wrom_array is
    variable r : wrom_array(0 to NWR - 1) := (others => (others => '0'));
    variable i : natural;
  begin
    for a in 0 to NWR - 1 loop
      r(a)(PAR * 8) := '1';   -- salt
    end loop;
    for o in 0 to N_OUT - 1 loop
      for gi in 0 to NG - 1 loop
        for p in 0 to PAR - 1 loop
          i := gi * PAR + p;
          if i < N_IN then
            r(o * NG + gi)(8 * p + 7 downto 8 * p) :=
              std_logic_vector(to_signed(WEIGHTS(WEIGHTS'low + o * N_IN + i), 8));
          end if;
        end loop;
      end loop;
    end loop;
    return r;
  end function;

  -- Bias ROM: word o holds BIAS[o] in bits 31..0; bit 32 is the salt.
  -- Word N_OUT (when N_OUT = 1) is never read.
  function build_brom return bias_array is
    variable r : bias_array(0 to NBR - 1) := (others => (others => '0'));
  begin
    for o in 0 to NBR - 1 loop
      r(o)(32) := '1';        -- salt
    end loop;
    for o in 0 to N_OUT - 1 loop
      r(o)(31 downto 0) := std_logic_vector(to_signed(BIAS(BIAS'low + o), 32));
    end loop;
    return r;
  end function;

  -- Scale ROM (REQUANT_F32): word o holds bits 30..0 of SCALES[o] (the sign
  -- is 0); the spare word repeats word 0, so no word is zero.
  type scale_array is array (natural range <>) of std_logic_vector(30 downto 0);
  function build_srom return scale_array is
    variable r : scale_array(0 to NBR - 1);
  begin
    for o in 0 to NBR - 1 loop
      r(o) := std_logic_vector(to_unsigned(SCALES(SCALES'low), 31));
      if o < N_OUT then
        r(o) := std_logic_vector(to_unsigned(SCALES(SCALES'low + o), 31));
      end if;
    end loop;
    return r;
  end function;

  constant WROM : wrom_array(0 to NWR - 1) := build_wrom;
  constant BROM : bias_array(0 to NBR - 1) := build_brom;

  -- Two banks of the input vector (simple dual-port RAM).
  signal vb : word_array(0 to 2 * NG - 1) := (others => (others => '0'));

  -- Input side.
  signal i_pos  : natural range 0 to PAR - 1 := 0;
  signal i_grp  : natural range 0 to NG - 1 := 0;
  signal i_bank : natural range 0 to 1 := 0;
  signal i_buf  : word_t := (others => '0');
  signal i_last : std_logic;                      -- the beat offered is x[N_IN-1]
  signal in_ready_i, accept, wr_en : std_logic;
  signal wr_addr : natural range 0 to 2 * NG - 1;
  signal wr_word : word_t;

  -- '1' while a bank holds a complete vector not yet fully issued.
  signal bank_full : std_logic_vector(0 to 1) := "00";

  -- Compute side (issue stage).
  signal c_g    : natural range 0 to NG - 1 := 0;
  signal c_o    : natural range 0 to N_OUT - 1 := 0;
  signal c_wa   : natural range 0 to NWR - 1 := 0;
  signal c_bank : natural range 0 to 1 := 0;
  signal c_first, c_last : std_logic;
  signal issue, reserve, can_reserve : std_logic;
  signal rd_addr : natural range 0 to 2 * NG - 1;

  -- Stage 1: RAM and ROM outputs, to cnn_mac.
  signal m_valid, m_first, m_last : std_logic := '0';
  signal m_x    : word_t := (others => '0');
  signal m_w    : wrom_word_t := (others => '0');                -- with the salt bit
  signal m_bias : std_logic_vector(32 downto 0) := (others => '0');  -- with the salt bit
  signal m_scale : std_logic_vector(30 downto 0) := (others => '0');
  signal r_valid : std_logic;
  signal r_data  : std_logic_vector(7 downto 0);
begin
  assert not REQUANT_F32 or SCALES'length = N_OUT
    report "cnn_dense: SCALES must hold N_OUT float32 bit patterns" severity failure;

  ---------------------------------------------------------------- input side
  in_ready_i <= not bank_full(i_bank);
  in_ready   <= in_ready_i;
  accept     <= in_valid and in_ready_i;
  i_last     <= '1' when i_grp = NG - 1 and i_pos = LAST_POS else '0';

  process (all)
    variable wd : word_t;
  begin
    wd := i_buf;
    for p in 0 to PAR - 1 loop
      if p = i_pos then
        wd(8 * p + 7 downto 8 * p) := in_data;
      end if;
    end loop;
    wr_word <= wd;
  end process;

  wr_en   <= '1' when accept = '1' and (i_pos = PAR - 1 or i_last = '1') else '0';
  wr_addr <= i_bank * NG + i_grp;

  ---------------------------------------------------------------- compute side
  c_first <= '1' when c_g = 0 else '0';
  c_last  <= '1' when c_g = NG - 1 else '0';
  issue   <= '1' when bank_full(c_bank) = '1' and (can_reserve = '1' or c_last = '0') else '0';
  reserve <= issue and c_last;
  rd_addr <= c_bank * NG + c_g;

  -- Vector RAM, weight and bias ROMs (stage 1).
  g_srom : if REQUANT_F32 generate
    constant SROM : scale_array(0 to NBR - 1) := build_srom;
  begin
    process (clk)
    begin
      if rising_edge(clk) then
        m_scale <= SROM(c_o);
      end if;
    end process;
  end generate;

  process (clk)
  begin
    if rising_edge(clk) then
      if wr_en = '1' then
        vb(wr_addr) <= wr_word;
      end if;
      m_x    <= vb(rd_addr);
      m_w    <= WROM(c_wa);
      m_bias <= BROM(c_o);
    end if;
  end process;

  process (clk)
  begin
    if rising_edge(clk) then
      -- Input counters. The RAM write and bank_full land on the same edge,
      -- so the compute side's first read of the bank comes at least one
      -- edge after the last word is written.
      if accept = '1' then
        if i_last = '1' then
          i_pos <= 0;
          i_grp <= 0;
          bank_full(i_bank) <= '1';
          i_bank <= 1 - i_bank;
        elsif i_pos = PAR - 1 then
          i_pos <= 0;
          if i_grp = NG - 1 then       -- unreachable; keeps the range static
            i_grp <= 0;
          else
            i_grp <= i_grp + 1;
          end if;
        else
          i_buf <= wr_word;
          i_pos <= i_pos + 1;
        end if;
      end if;

      -- Issue counters: g fastest, then o; a bank is freed on its last issue
      -- (its last read happens on that same edge).
      m_valid <= issue;
      m_first <= c_first;
      m_last  <= c_last;
      if issue = '1' then
        if c_g /= NG - 1 then
          c_g  <= c_g + 1;
          c_wa <= c_wa + 1;
        else
          c_g <= 0;
          if c_o /= N_OUT - 1 then
            c_o  <= c_o + 1;
            c_wa <= c_wa + 1;
          else
            c_o  <= 0;
            c_wa <= 0;
            bank_full(c_bank) <= '0';
            c_bank <= 1 - c_bank;
          end if;
        end if;
      end if;

      if rst = '1' then
        i_pos <= 0; i_grp <= 0; i_bank <= 0;
        bank_full <= "00";
        c_g <= 0; c_o <= 0; c_wa <= 0; c_bank <= 0;
        m_valid <= '0';
      end if;
    end if;
  end process;

  mac : entity work.cnn_mac
    generic map (
      PAR => PAR, ACC_W => ACC_W, IN_SIGNED => IN_SIGNED,
      SHIFT => SHIFT, ACT => ACT, LEAKY_K => LEAKY_K, CLAMP_HI => CLAMP_HI,
      CLAMP_LO => CLAMP_LO, ZP_OUT => ZP_OUT, REQUANT_F32 => REQUANT_F32)
    port map (
      clk => clk, rst => rst,
      in_valid => m_valid, in_first => m_first, in_last => m_last,
      in_x => m_x, in_w => m_w(PAR * 8 - 1 downto 0), in_bias => m_bias(31 downto 0),
      in_scale => '0' & m_scale,
      out_valid => r_valid, out_data => r_data);

  fifo : entity work.cnn_credit_fifo
    generic map (WIDTH => 8, DEPTH => FIFO_DEPTH)
    port map (
      clk => clk, rst => rst,
      reserve => reserve, can_reserve => can_reserve,
      in_valid => r_valid, in_data => r_data,
      out_valid => out_valid, out_ready => out_ready, out_data => out_data);
end architecture;
