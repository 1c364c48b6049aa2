-- cnn_dwconv: depthwise KH x KW convolution (ONNX Conv with group = C_IN),
-- strides STRIDE_H (rows) and STRIDE_W (columns), no padding (an upstream
-- cnn_zero_pad pads), bias, the output stage of cnn_conv (cnn_mac). Output
-- channel oc reads input channel oc / M only, M = C_OUT / C_IN (the channel
-- multiplier). Stream in: H x W x C_IN beats (HWC, int8, or uint8 when not
-- IN_SIGNED); stream out: H_OUT x W_OUT x C_OUT beats (HWC, int8), H_OUT =
-- (H - KH) / STRIDE_H + 1, W_OUT = (W - KW) / STRIDE_W + 1 (floor):
--     y[oy][ox][oc] = requant(BIAS[oc] + sum_{ky,kx} x[oy*STRIDE_H+ky][ox*STRIDE_W+kx][oc / M]
--                                      * WEIGHTS[(oc*KH + ky)*KW + kx])
-- with the output stage's generics exactly as cnn_conv's (SHIFT, ACT,
-- LEAKY_K, CLAMP_HI, CLAMP_LO, ZP_OUT; REQUANT_F32 with SCALES, one float32
-- bit pattern per output channel).
--
-- Structure: cnn_conv's line buffer and row FIFO (NROWS = KH + RREL rows x W
-- pixels, RREL = min(STRIDE_H, KH); rows no window touches are consumed
-- without being stored), each pixel stored as NGI = ceil(C_IN / WB) words of
-- WB channels, with PAR MAC lanes on a group of PAR consecutive output
-- channels (NOG = ceil(C_OUT / PAR) groups per pixel; the last has LAST =
-- C_OUT - (NOG-1)*PAR real lanes, the others compute zeros and are never
-- emitted). Group og's lanes read the input channels (og*PAR + ln) / M: with
-- M dividing PAR they are the WB = PAR / M channels of word og (lane ln takes
-- byte ln / M); with PAR dividing M (WB = 1) the one channel og / (M / PAR).
-- Any other PAR (e.g. 3 with M = 2) stores a pixel as one word of WB = C_IN
-- channels and each lane picks its channel with a C_IN:1 byte multiplexer
-- (a per-lane channel counter, registered with the RAM read). The issue stage loops oy, ox, og, ky, kx
-- (kx fastest): one line-buffer word per cycle, each lane its own weight ROM
-- at the same address and its own cnn_mac. A group's PAR results enter a
-- credit FIFO of D entries as one entry; cnn_conv's serialiser sends them one
-- beat per cycle, lane 0 first. PAR = 1 is the one-lane block (one byte per
-- word), bit and cycle exact.
--
-- Cycle model (no stalls from outside, images back to back), per image, with
-- ROW = W * C_IN the beats of one input row: cnn_conv's model with KKN =
-- KH*KW issue cycles per group and PAR_OUT = PAR (its header explains each
-- term):
--     KK     = KH*KW
--     NOG    = ceil(C_OUT / PAR),  LAST = C_OUT - (NOG - 1) * PAR
--     T_ROW  = W_OUT * NOG * KK                           (issue cycles per output row)
--     R      = (KH - RREL) * ROW                          (refill)
--     TR     = (H - (H_OUT - 1) * STRIDE_H - KH) * ROW    (trailing rows)
--     T_IN   = H * ROW                                    (1 beat/cycle)
--     T_CONV = max(H_OUT * T_ROW + R,
--                  (KH + RREL) * ROW + TR + (H_OUT - 2) * T_ROW)  (2nd: H_OUT >= 3)
--     T_OUT  = H_OUT * W_OUT * C_OUT + max(0, R + KK + 6 + X + DW - S)
--     cycles/image = max(T_IN, T_CONV, T_OUT)
--   X = the float stage's extra latency (0, or 4 with REQUANT_F32), D = 8 + X,
--     S  = D * PAR - (floor((D - 1) / NOG) + 1) * (PAR - LAST)
--     DW = max(0, KK - LAST - Q * (PAR - KK)) if PAR > KK, else 0,
--     Q  = (NOG - 1 - ((D - 1) mod NOG)) mod NOG.
-- The output link (T_OUT) binds when PAR > KK or KK = 1.
-- Latency (image into an idle block, no stalls): the first output beat is
-- valid KH*W*C_IN + KH*KW + 5 + X cycles after the first input beat is
-- accepted (the KH-th row completes; KH*KW issue cycles; 5 stages: RAM/ROM
-- read, product, adder, accumulator, requant into the FIFO).
--
-- Resources: PAR multipliers (8 x 9 bit); PAR weight ROMs of max(NOG*KH*KW,
-- 2) words x 9 bits (8 + the salt bit, see cnn_conv), PAR bias ROMs of
-- max(NOG, 2) words x 33 bits; a line buffer of (KH + RREL) * W * NGI words
-- x 8*WB bits; an output FIFO of D entries x 8*PAR bits; when PAR neither
-- divides nor is a multiple of M, per lane a C_IN:1 byte multiplexer and a
-- channel counter. REQUANT_F32 adds per lane a scale ROM of max(NOG, 2)
-- words x 31 bits and a cnn_requant.
--
-- Backpressure: out_ready low fills the output FIFO, then the issue stops
-- (credits); the line buffer then fills and in_ready drops at the start of a
-- row that has no free slot. Nothing is lost or duplicated.
library ieee;
use ieee.std_logic_1164.all;
use ieee.numeric_std.all;
use work.cnn_pkg.all;

entity cnn_dwconv is
  generic (
    C_IN      : positive := 1;
    C_OUT     : positive := 1;       -- a multiple of C_IN
    H         : positive := 8;
    W         : positive := 8;
    KH        : positive := 3;       -- kernel rows (1..11)
    KW        : positive := 3;       -- kernel columns (1..11)
    STRIDE_H  : positive := 1;       -- row stride (1..4)
    STRIDE_W  : positive := 1;       -- column stride (1..4)
    PAR       : positive := 1;       -- output channels per cycle (1..C_OUT)
    WEIGHTS   : int_array;           -- C_OUT*KH*KW, [oc][ky][kx], -128..127
    BIAS      : int_array;           -- C_OUT, int32
    SHIFT     : integer  := 0;
    ACT       : natural  := ACT_NONE;
    LEAKY_K   : natural  := 0;
    CLAMP_HI  : integer  := 127;     -- upper clamp of y (-128..127)
    IN_SIGNED : boolean  := true;
    CLAMP_LO  : integer  := -128;    -- lower clamp of y (-128..CLAMP_HI)
    ZP_OUT    : integer  := 0;       -- zero point of y
    REQUANT_F32 : boolean := false;  -- float32 output stage with SCALES
    SCALES    : int_array := (0 => 0)  -- REQUANT_F32: C_OUT float32 bit patterns (positive normal)
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

architecture rtl of cnn_dwconv is
  constant M      : positive := C_OUT / C_IN;          -- channel multiplier
  constant H_OUT  : positive := (H - KH) / STRIDE_H + 1;
  constant W_OUT  : positive := (W - KW) / STRIDE_W + 1;
  constant RREL   : positive := min_int(STRIDE_H, KH); -- rows released per output row
  constant NROWS  : positive := KH + RREL;             -- line buffer rows
  constant NOG    : positive := ceil_div(C_OUT, PAR);  -- output-channel groups
  constant LAST   : positive := C_OUT - (NOG - 1) * PAR; -- lanes of the last group
  -- Line-buffer word: WB input channels (bytes). Group og's lanes read the
  -- input channels (og*PAR + ln) / M, ln = 0..PAR-1: with M dividing PAR,
  -- the PAR / M channels og*PAR/M .. (word og, lane ln takes byte ln / M);
  -- with PAR dividing M, the one channel og / K, K = M / PAR (word og / K,
  -- byte 0 = ln / M). Either way no lane needs a multiplexer. Otherwise
  -- (ALIGNED false) one word per pixel, a multiplexer per lane.
  constant ALIGNED : boolean := PAR mod M = 0 or M mod PAR = 0;
  function word_bytes return positive is
  begin
    if PAR mod M = 0 then
      return PAR / M;
    elsif M mod PAR = 0 then
      return 1;
    end if;
    return C_IN;
  end function;
  constant WB     : positive := word_bytes;
  constant K      : positive := max_int(M / PAR, 1);   -- groups per word
  constant NGI    : positive := ceil_div(C_IN, WB);    -- words per pixel
  constant LB_WORDS : positive := NROWS * W * NGI;
  constant NW     : positive := NOG * KH * KW;         -- words per lane's weight ROM
  -- At least 2 ROM words (GHDL 2.0 folds a one-word ROM into a constant; see
  -- cnn_conv). Word NW is never read.
  constant NWR    : positive := max_int(NW, 2);
  constant NBR    : positive := max_int(NOG, 2);
  -- |x * w| < 2^15, KH*KW terms, |bias| <= 2^31: never overflows.
  constant ACC_W  : positive := max_int(33, clog2(KH * KW) + 17);
  function f32_extra return natural is
  begin
    if REQUANT_F32 then
      return 4;
    end if;
    return 0;
  end function;
  constant X_F32  : natural := f32_extra;
  constant FIFO_DEPTH : positive := 8 + X_F32;         -- > issue-to-push latency (5 + X)
  constant OW     : positive := 8 * PAR;                -- FIFO entry: one group

  subtype byte_t is std_logic_vector(7 downto 0);
  subtype word_t is std_logic_vector(8 * WB - 1 downto 0);
  type word_array is array (natural range <>) of word_t;
  -- ROM words carry one extra bit, always '1' (the salt: no word is zero, so
  -- GHDL keeps every ROM a memory; see cnn_conv).
  type wrom_array is array (natural range <>) of std_logic_vector(8 downto 0);
  type bias_array is array (natural range <>) of std_logic_vector(32 downto 0);
  type scale_array is array (natural range <>) of std_logic_vector(30 downto 0);

  -- Weight ROM of lane ln: word (og*KH + ky)*KW + kx holds WEIGHTS of
  -- oc = og*PAR + ln (0 beyond C_OUT), the order of issue.
  function build_wrom(ln : natural) return wrom_array is
    variable r  : wrom_array(0 to NWR - 1) := (others => (others => '0'));
    variable oc : natural;
  begin
    for i in 0 to NWR - 1 loop
      r(i)(8) := '1';   -- salt
    end loop;
    for og in 0 to NOG - 1 loop
      oc := og * PAR + ln;
      if oc < C_OUT then
        for i in 0 to KH * KW - 1 loop
          r(og * KH * KW + i)(7 downto 0) :=
            std_logic_vector(to_signed(WEIGHTS(WEIGHTS'low + oc * KH * KW + i), 8));
        end loop;
      end if;
    end loop;
    return r;
  end function;

  -- Bias ROM of lane ln: word og holds BIAS[og*PAR + ln].
  function build_brom(ln : natural) return bias_array is
    variable r : bias_array(0 to NBR - 1) := (others => (others => '0'));
  begin
    for og in 0 to NBR - 1 loop
      r(og)(32) := '1';       -- salt
      if og < NOG and og * PAR + ln < C_OUT then
        r(og)(31 downto 0) := std_logic_vector(to_signed(BIAS(BIAS'low + og * PAR + ln), 32));
      end if;
    end loop;
    return r;
  end function;

  -- Scale ROM of lane ln: bits 30..0 of SCALES[og*PAR + ln] (the sign bit is
  -- 0); lanes beyond C_OUT and the spare word repeat SCALES[0], so no word is
  -- zero.
  function build_srom(ln : natural) return scale_array is
    variable r : scale_array(0 to NBR - 1);
  begin
    for og in 0 to NBR - 1 loop
      r(og) := std_logic_vector(to_unsigned(SCALES(SCALES'low), 31));
      if og < NOG and og * PAR + ln < C_OUT then
        r(og) := std_logic_vector(to_unsigned(SCALES(SCALES'low + og * PAR + ln), 31));
      end if;
    end loop;
    return r;
  end function;

  -- '1' for input rows some window reads.
  function build_row_used return std_logic_vector is
    variable r : std_logic_vector(0 to H - 1) := (others => '0');
  begin
    for oy in 0 to H_OUT - 1 loop
      for ky in 0 to KH - 1 loop
        r(oy * STRIDE_H + ky) := '1';
      end loop;
    end loop;
    return r;
  end function;

  constant ROW_USED : std_logic_vector(0 to H - 1) := build_row_used;

  -- Line buffer (simple dual-port RAM: one write, one registered read).
  signal lb : word_array(0 to LB_WORDS - 1) := (others => (others => '0'));

  -- Input side.
  signal i_ch   : natural range 0 to C_IN - 1 := 0;
  signal i_x    : natural range 0 to W - 1 := 0;
  signal i_y    : natural range 0 to H - 1 := 0;
  signal i_pos  : natural range 0 to WB - 1 := 0;
  signal i_grp  : natural range 0 to NGI - 1 := 0;
  signal i_buf  : word_t := (others => '0');
  signal wr_word : word_t;
  signal i_slot : natural range 0 to NROWS - 1 := 0;
  signal in_ready_i : std_logic;
  signal accept : std_logic;
  signal wr_en  : std_logic;
  signal wr_addr : natural range 0 to LB_WORDS - 1;

  -- Row FIFO bookkeeping (shared by both sides).
  signal full_rows  : natural range 0 to NROWS := 0;   -- stored, not released
  signal free_slots : natural range 0 to NROWS := NROWS; -- neither stored nor being written

  -- Compute side (issue stage).
  signal c_kx   : natural range 0 to KW - 1 := 0;
  signal c_ky   : natural range 0 to KH - 1 := 0;
  signal c_og   : natural range 0 to NOG - 1 := 0;     -- output-channel group
  signal c_k    : natural range 0 to K - 1 := 0;       -- c_og mod K
  signal c_wd   : natural range 0 to NGI - 1 := 0;     -- c_og / K: the pixel's word
  signal c_ox   : natural range 0 to W_OUT - 1 := 0;
  signal c_oy   : natural range 0 to H_OUT - 1 := 0;
  signal c_col  : natural range 0 to W - 1 := 0;       -- c_ox * STRIDE_W
  signal c_wa   : natural range 0 to NWR - 1 := 0;
  signal c_head : natural range 0 to NROWS - 1 := 0;   -- slot of window row 0
  signal c_first, c_last : std_logic;
  signal issue  : std_logic;
  signal rd_addr : natural range 0 to LB_WORDS - 1;
  signal can_reserve : std_logic;
  signal reserve : std_logic;

  -- Stage 1: RAM output (the ROM outputs are per lane), to the cnn_macs.
  signal m_valid, m_first, m_last : std_logic := '0';
  signal m_x     : word_t := (others => '0');
  -- One result per lane (lane ln at bits 8ln+7..8ln), pushed as one entry.
  signal r_valid : std_logic_vector(PAR - 1 downto 0);
  signal r_data  : std_logic_vector(OW - 1 downto 0);

  -- Output serialiser on the FIFO's head entry.
  signal f_valid, f_ready : std_logic;
  signal f_data  : std_logic_vector(OW - 1 downto 0);
  signal o_lane  : natural range 0 to PAR - 1 := 0;
  signal o_og    : natural range 0 to NOG - 1 := 0;
  signal o_end   : std_logic;                           -- o_lane is the entry's last
begin
  assert C_OUT mod C_IN = 0 report "cnn_dwconv: C_OUT must be a multiple of C_IN" severity failure;
  assert not REQUANT_F32 or SCALES'length = C_OUT
    report "cnn_dwconv: SCALES must hold C_OUT float32 bit patterns" severity failure;
  assert KH <= H and KW <= W report "cnn_dwconv: the kernel is larger than the image" severity failure;
  assert PAR <= C_OUT report "cnn_dwconv: PAR must be 1..C_OUT" severity failure;

  ---------------------------------------------------------------- input side
  in_ready_i <= '0' when ROW_USED(i_y) = '1' and i_x = 0 and i_ch = 0 and free_slots = 0
                else '1';
  in_ready <= in_ready_i;
  accept   <= in_valid and in_ready_i;

  process (all)
    variable wd : word_t;
  begin
    wd := i_buf;
    for p in 0 to WB - 1 loop
      if p = i_pos then
        wd(8 * p + 7 downto 8 * p) := in_data;
      end if;
    end loop;
    wr_word <= wd;
  end process;

  wr_en <= '1' when accept = '1' and ROW_USED(i_y) = '1' and (i_pos = WB - 1 or i_ch = C_IN - 1)
           else '0';
  wr_addr <= (i_slot * W + i_x) * NGI + i_grp;

  ---------------------------------------------------------------- compute side
  c_first <= '1' when c_kx = 0 and c_ky = 0 else '0';
  c_last  <= '1' when c_kx = KW - 1 and c_ky = KH - 1 else '0';
  issue   <= '1' when full_rows >= KH and (can_reserve = '1' or c_last = '0') else '0';
  reserve <= issue and c_last;

  process (all)
    variable s : natural range 0 to 2 * NROWS;
  begin
    s := c_head + c_ky;
    if s >= NROWS then
      s := s - NROWS;
    end if;
    rd_addr <= (s * W + c_col + c_kx) * NGI + c_wd;
  end process;

  -- Line buffer RAM (stage 1).
  process (clk)
  begin
    if rising_edge(clk) then
      if wr_en = '1' then
        lb(wr_addr) <= wr_word;
      end if;
      m_x <= lb(rd_addr);
    end if;
  end process;

  process (clk)
    variable claim, row_done : natural range 0 to 1;
    variable rel_rows : natural range 0 to KH;
    variable hd : natural range 0 to 2 * NROWS;
  begin
    if rising_edge(clk) then
      claim    := 0;
      row_done := 0;
      rel_rows := 0;

      -- Input counters.
      if accept = '1' then
        if ROW_USED(i_y) = '1' then
          if i_x = 0 and i_ch = 0 then
            claim := 1;
          end if;
          if i_pos = WB - 1 or i_ch = C_IN - 1 then
            i_pos <= 0;
            if i_ch = C_IN - 1 or i_grp = NGI - 1 then
              i_grp <= 0;
            else
              i_grp <= i_grp + 1;
            end if;
          else
            i_buf <= wr_word;
            i_pos <= i_pos + 1;
          end if;
        end if;
        if i_ch = C_IN - 1 then
          i_ch <= 0;
          if i_x = W - 1 then
            i_x <= 0;
            if ROW_USED(i_y) = '1' then
              row_done := 1;
              if i_slot = NROWS - 1 then
                i_slot <= 0;
              else
                i_slot <= i_slot + 1;
              end if;
            end if;
            if i_y = H - 1 then
              i_y <= 0;
            else
              i_y <= i_y + 1;
            end if;
          else
            i_x <= i_x + 1;
          end if;
        else
          i_ch <= i_ch + 1;
        end if;
      end if;

      -- Issue counters: kx fastest, then ky, og, ox, oy.
      m_valid <= issue;
      m_first <= c_first;
      m_last  <= c_last;
      if issue = '1' then
        if c_kx /= KW - 1 then
          c_kx <= c_kx + 1;
          c_wa <= c_wa + 1;
        else
          c_kx <= 0;
          if c_ky /= KH - 1 then
            c_ky <= c_ky + 1;
            c_wa <= c_wa + 1;
          else
            c_ky <= 0;
            if c_og /= NOG - 1 then
              c_og <= c_og + 1;
              c_wa <= c_wa + 1;
              if c_k /= K - 1 then
                c_k <= c_k + 1;
              else
                c_k <= 0;
                -- (c_wd /= NGI - 1 is implied by c_og /= NOG - 1; written
                -- out so that GHDL folds the increment away when NGI = 1.)
                if c_wd /= NGI - 1 then
                  c_wd <= c_wd + 1;
                end if;
              end if;
            else
              c_og <= 0;
              c_k  <= 0;
              c_wd <= 0;
              c_wa <= 0;
              if c_ox /= W_OUT - 1 then
                c_ox  <= c_ox + 1;
                c_col <= c_col + STRIDE_W;
              else
                -- End of an output row: release its rows.
                c_ox  <= 0;
                c_col <= 0;
                if c_oy /= H_OUT - 1 then
                  c_oy <= c_oy + 1;
                  rel_rows := RREL;
                else
                  c_oy <= 0;
                  rel_rows := KH;
                end if;
                hd := c_head + rel_rows;
                if hd >= NROWS then
                  hd := hd - NROWS;
                end if;
                c_head <= hd;
              end if;
            end if;
          end if;
        end if;
      end if;

      full_rows  <= full_rows + row_done - rel_rows;
      free_slots <= free_slots - claim + rel_rows;

      if rst = '1' then
        i_ch <= 0; i_x <= 0; i_y <= 0; i_pos <= 0; i_grp <= 0; i_slot <= 0;
        full_rows <= 0; free_slots <= NROWS;
        c_kx <= 0; c_ky <= 0; c_og <= 0; c_k <= 0; c_wd <= 0; c_ox <= 0; c_oy <= 0;
        c_col <= 0; c_wa <= 0; c_head <= 0;
        m_valid <= '0';
      end if;
    end if;
  end process;

  -- PAR lanes: weight, bias (and scale) ROMs (stage 1) and a cnn_mac each;
  -- lane ln multiplies byte ln / M of the line-buffer word (ALIGNED), or
  -- byte (og*PAR + ln) / M of the pixel's word.
  lanes : for ln in 0 to PAR - 1 generate
    constant WROM : wrom_array(0 to NWR - 1) := build_wrom(ln);
    constant BROM : bias_array(0 to NBR - 1) := build_brom(ln);
    signal m_w     : std_logic_vector(8 downto 0) := (others => '0');   -- with the salt bit
    signal m_bias  : std_logic_vector(32 downto 0) := (others => '0');
    signal m_scale : std_logic_vector(30 downto 0) := (others => '0');
    signal lx      : byte_t;                                            -- this lane's input byte
  begin
    g_fixed : if ALIGNED generate
      constant B : natural := ln / M;
    begin
      lx <= m_x(8 * B + 7 downto 8 * B);
    end generate;

    -- The lane's channel (c_og*PAR + ln) / M as l_ic, remainder l_m: + PAR
    -- per group (no division in hardware: PQ, PR are constants). Beyond
    -- C_IN (a dead lane of the last group) no byte matches: lx is byte 0.
    g_mux : if not ALIGNED generate
      constant PQ : natural := PAR / M;
      constant PR : natural := PAR mod M;
      signal l_ic, m_ic : natural range 0 to C_IN + PAR := ln / M;
      signal l_m  : natural range 0 to M - 1 := ln mod M;
    begin
      process (clk)
      begin
        if rising_edge(clk) then
          m_ic <= l_ic;
          if reserve = '1' then      -- the group's last issue cycle
            if c_og = NOG - 1 then
              l_ic <= ln / M;
              l_m  <= ln mod M;
            elsif l_m + PR >= M then
              l_ic <= l_ic + PQ + 1;
              l_m  <= l_m + PR - M;
            else
              l_ic <= l_ic + PQ;
              l_m  <= l_m + PR;
            end if;
          end if;
          if rst = '1' then
            l_ic <= ln / M;
            l_m  <= ln mod M;
          end if;
        end if;
      end process;

      process (all)
        variable d : byte_t;
      begin
        d := m_x(7 downto 0);
        for c in 1 to C_IN - 1 loop
          if c = m_ic then
            d := m_x(8 * c + 7 downto 8 * c);
          end if;
        end loop;
        lx <= d;
      end process;
    end generate;

    process (clk)
    begin
      if rising_edge(clk) then
        m_w    <= WROM(c_wa);
        m_bias <= BROM(c_og);
      end if;
    end process;

    g_srom : if REQUANT_F32 generate
      constant SROM : scale_array(0 to NBR - 1) := build_srom(ln);
    begin
      process (clk)
      begin
        if rising_edge(clk) then
          m_scale <= SROM(c_og);
        end if;
      end process;
    end generate;

    mac : entity work.cnn_mac
      generic map (
        PAR => 1, ACC_W => ACC_W, IN_SIGNED => IN_SIGNED,
        SHIFT => SHIFT, ACT => ACT, LEAKY_K => LEAKY_K, CLAMP_HI => CLAMP_HI,
        CLAMP_LO => CLAMP_LO, ZP_OUT => ZP_OUT, REQUANT_F32 => REQUANT_F32)
      port map (
        clk => clk, rst => rst,
        in_valid => m_valid, in_first => m_first, in_last => m_last,
        in_x => lx, in_w => m_w(7 downto 0), in_bias => m_bias(31 downto 0),
        in_scale => '0' & m_scale,
        out_valid => r_valid(ln), out_data => r_data(8 * ln + 7 downto 8 * ln));
  end generate;

  -- Every lane's result is valid in the same cycle (same control inputs).
  fifo : entity work.cnn_credit_fifo
    generic map (WIDTH => OW, DEPTH => FIFO_DEPTH)
    port map (
      clk => clk, rst => rst,
      reserve => reserve, can_reserve => can_reserve,
      in_valid => r_valid(0), in_data => r_data,
      out_valid => f_valid, out_ready => f_ready, out_data => f_data);

  ---------------------------------------------------------------- serialiser
  -- cnn_conv's: the head entry goes out lane by lane and leaves the FIFO
  -- with its last real lane (LAST lanes in the pixel's last group).
  o_end <= '1' when o_lane = PAR - 1 or (o_og = NOG - 1 and o_lane = LAST - 1) else '0';
  f_ready   <= out_ready and o_end;
  out_valid <= f_valid;

  process (all)
    variable d : std_logic_vector(7 downto 0);
  begin
    d := f_data(7 downto 0);
    for ln in 1 to PAR - 1 loop
      if ln = o_lane then
        d := f_data(8 * ln + 7 downto 8 * ln);
      end if;
    end loop;
    out_data <= d;
  end process;

  process (clk)
  begin
    if rising_edge(clk) then
      if f_valid = '1' and out_ready = '1' then
        -- (o_lane /= PAR - 1 is implied by o_end = '0'; written out so that
        -- GHDL folds the increment away when PAR = 1.)
        if o_end = '0' and o_lane /= PAR - 1 then
          o_lane <= o_lane + 1;
        else
          o_lane <= 0;
          if o_og /= NOG - 1 then
            o_og <= o_og + 1;
          else
            o_og <= 0;
          end if;
        end if;
      end if;
      if rst = '1' then
        o_lane <= 0;
        o_og   <= 0;
      end if;
    end if;
  end process;
end architecture;
