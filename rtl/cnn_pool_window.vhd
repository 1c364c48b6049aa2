-- cnn_pool_window: the sliding-window engine shared by cnn_maxpool and
-- cnn_avgpool. KHxKW windows (each 1..7), strides STRIDE_H x STRIDE_W (1..4),
-- no padding of its own (a padded pool is cnn_zero_pad + this over the padded
-- image), over an HxWxC image in HWC order; output
-- Ho x Wo x C = (H-KH)/STRIDE_H+1 x (W-KW)/STRIDE_W+1 x C (floor: trailing
-- rows and columns that start no full window are read and ignored, as ONNX
-- does).
--
-- Each input value x first becomes p(x) (PRE_ACT, the average pools' float
-- segment, SPEC §2): ACT_NONE: x; ACT_LEAKY: x * 2^PRE_LEAKY_K for x >= 0, x
-- for x < 0; ACT_RELU: 0 for x < 0. (The max pool leaves it at ACT_NONE.)
--
-- How (separable, one pass, no frame buffer): the window value is
-- combine(horizontal, vertical) with combine = signed max (IS_AVG = false) or
-- sum (IS_AVG = true); both are associative and commutative, so the order of
-- the operands does not matter.
--  * Column slots: KW-1 small memories of C entries; input column x is written
--    to slot x mod (KW-1) at address ch. At input (y, x, ch) the slots hold
--    columns x-1 .. x-KW+1 of channel ch, so h = combine(p(in), all slots) is
--    the horizontal window value whenever x is a window's last column
--    (KW = 1: no slots, h = p(in)).
--  * Row slots: KH-1 memories of Wo*C entries; at a window's last column, h
--    of row y goes to slot y mod (KH-1) at address a = ox*C + ch, after the
--    slots were read (read old, write new): at row y they hold rows
--    y-1 .. y-KH+1, so v = combine(h, all row slots) is the full window value
--    whenever y is a window's last row (KH = 1: no slots, v = h). That beat
--    emits one output.
-- Memory: (KH-1) * Wo * C + (KW-1) * C entries of DW bits (DW = 8 for max).
-- The output stage (requant of the max; exact division of the sum) is the
-- caller's function of v (and of the window's position win_oy, win_ox),
-- applied before the output register.
--
-- Cycle model: cycles per image = H * W * C (one input beat per cycle; the
-- Ho*Wo*C outputs are emitted in the same cycles as the beats that complete
-- them). Latency: 1 cycle from the beat that completes a window to its output.
-- Backpressure: cnn_skid on the output; in_ready = the skid's registered
-- ready, so a full skid pauses the input even on non-emitting beats.
library ieee;
use ieee.std_logic_1164.all;
use ieee.numeric_std.all;
use work.cnn_pkg.all;

entity cnn_pool_window is
  generic (
    C           : positive := 1;
    H           : positive := 4;
    W           : positive := 4;
    KH          : positive := 2;     -- 1 .. H
    KW          : positive := 2;     -- 1 .. W
    STRIDE_H    : positive := 2;
    STRIDE_W    : positive := 2;
    IS_AVG      : boolean  := false;
    PRE_ACT     : natural  := ACT_NONE;
    PRE_LEAKY_K : natural  := 0;
    DW          : positive := 8      -- width of window values (sum: see cnn_avgpool)
  );
  port (
    clk       : in  std_logic;
    rst       : in  std_logic;
    in_valid  : in  std_logic;
    in_ready  : out std_logic;
    in_data   : in  std_logic_vector(7 downto 0);
    -- The window value of the beat being accepted, whether it completes a
    -- window, and that window's output row and column; the caller maps them
    -- to out_stage (8 bits) combinationally.
    win_value : out signed(DW - 1 downto 0);
    win_emit  : out std_logic;
    win_oy    : out natural range 0 to (H - KH) / STRIDE_H + 1;
    win_ox    : out natural range 0 to (W - KW) / STRIDE_W + 1;
    out_stage : in  std_logic_vector(7 downto 0);
    out_valid : out std_logic;
    out_ready : in  std_logic;
    out_data  : out std_logic_vector(7 downto 0)
  );
end entity;

architecture rtl of cnn_pool_window is
  constant HO  : positive := (H - KH) / STRIDE_H + 1;
  constant WO  : positive := (W - KW) / STRIDE_W + 1;
  constant NSW : natural  := KW - 1;             -- column slots
  constant NSH : natural  := KH - 1;             -- row slots
  -- Array and counter bounds stay non-null when a direction has no slots.
  constant NSWA : positive := max_int(NSW, 1);
  constant NSHA : positive := max_int(NSH, 1);
  constant PHW : positive := KW + STRIDE_W;      -- bounds of the phase counters
  constant PHH : positive := KH + STRIDE_H;

  type val_array is array (natural range <>) of signed(DW - 1 downto 0);

  signal x     : natural range 0 to W - 1 := 0;
  signal y     : natural range 0 to H - 1 := 0;
  signal ch    : natural range 0 to C - 1 := 0;
  signal xs    : natural range 0 to NSWA - 1 := 0;   -- x mod (KW-1)
  signal ys    : natural range 0 to NSHA - 1 := 0;   -- y mod (KH-1)
  signal xph   : natural range 0 to PHW := KW - 1;   -- columns to next window end
  signal yph   : natural range 0 to PHH := KH - 1;
  signal ox    : natural range 0 to WO := 0;         -- windows ended in this row
  signal oy    : natural range 0 to HO := 0;
  signal addr  : natural range 0 to WO * C - 1 := 0; -- ox * C + ch

  signal x_end, y_end : std_logic;
  signal fire  : std_logic;
  signal st_ready : std_logic;
  signal din   : signed(DW - 1 downto 0);
  signal cval  : val_array(0 to NSWA - 1);
  signal rval  : val_array(0 to NSHA - 1);
  signal hval, vval : signed(DW - 1 downto 0);

  function combine(a, b : signed(DW - 1 downto 0)) return signed is
  begin
    if IS_AVG then
      return a + b;
    elsif a > b then
      return a;
    end if;
    return b;
  end function;
begin
  x_end <= '1' when xph = 0 and ox < WO else '0';
  y_end <= '1' when yph = 0 and oy < HO else '0';
  fire  <= in_valid and st_ready;
  in_ready <= st_ready;

  din   <= pre_activation(signed(in_data), PRE_ACT, PRE_LEAKY_K, DW);   -- p(x)

  g_cslots : for s in 0 to NSW - 1 generate
    type cmem_t is array (0 to C - 1) of signed(DW - 1 downto 0);
    signal cmem : cmem_t;
  begin
    process (clk)
    begin
      if rising_edge(clk) then
        if fire = '1' and xs = s then
          cmem(ch) <= din;
        end if;
      end if;
    end process;
    cval(s) <= cmem(ch);
  end generate;
  g_cnone : if NSW = 0 generate
    cval(0) <= (others => '0');   -- never read
  end generate;

  g_rslots : for s in 0 to NSH - 1 generate
    type rmem_t is array (0 to WO * C - 1) of signed(DW - 1 downto 0);
    signal rmem : rmem_t;
  begin
    process (clk)
    begin
      if rising_edge(clk) then
        if fire = '1' and x_end = '1' and ys = s then
          rmem(addr) <= hval;
        end if;
      end if;
    end process;
    rval(s) <= rmem(addr);
  end generate;
  g_rnone : if NSH = 0 generate
    rval(0) <= (others => '0');   -- never read
  end generate;

  process (din, cval)
    variable t : signed(DW - 1 downto 0);
  begin
    t := din;
    for s in 0 to NSW - 1 loop
      t := combine(t, cval(s));
    end loop;
    hval <= t;
  end process;

  process (hval, rval)
    variable t : signed(DW - 1 downto 0);
  begin
    t := hval;
    for s in 0 to NSH - 1 loop
      t := combine(t, rval(s));
    end loop;
    vval <= t;
  end process;

  win_value <= vval;
  win_emit  <= x_end and y_end;
  win_oy    <= oy;
  win_ox    <= ox;

  process (clk)
  begin
    if rising_edge(clk) then
      if fire = '1' then
        if x_end = '1' then
          if addr = WO * C - 1 then
            addr <= 0;
          else
            addr <= addr + 1;
          end if;
        end if;
        if ch = C - 1 then
          ch <= 0;
          -- column done
          if x_end = '1' then
            ox <= ox + 1;
          end if;
          if xph = 0 then
            xph <= STRIDE_W - 1;
          else
            xph <= xph - 1;
          end if;
          if xs = NSWA - 1 then
            xs <= 0;
          else
            xs <= xs + 1;
          end if;
          if x = W - 1 then
            -- row done
            x   <= 0;
            xs  <= 0;
            xph <= KW - 1;
            ox  <= 0;
            addr <= 0;
            if y_end = '1' then
              oy <= oy + 1;
            end if;
            if yph = 0 then
              yph <= STRIDE_H - 1;
            else
              yph <= yph - 1;
            end if;
            if ys = NSHA - 1 then
              ys <= 0;
            else
              ys <= ys + 1;
            end if;
            if y = H - 1 then
              -- image done
              y   <= 0;
              ys  <= 0;
              yph <= KH - 1;
              oy  <= 0;
            else
              y <= y + 1;
            end if;
          else
            x <= x + 1;
          end if;
        else
          ch <= ch + 1;
        end if;
      end if;
      if rst = '1' then
        x <= 0; y <= 0; ch <= 0; xs <= 0; ys <= 0;
        xph <= KW - 1; yph <= KH - 1; ox <= 0; oy <= 0; addr <= 0;
      end if;
    end if;
  end process;

  u_out : entity work.cnn_skid
    generic map (WIDTH => 8)
    port map (clk => clk, rst => rst,
              in_valid => in_valid and x_end and y_end, in_ready => st_ready,
              in_data => out_stage,
              out_valid => out_valid, out_ready => out_ready, out_data => out_data);
end architecture;
